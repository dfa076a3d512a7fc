"""Each SQL layer reads only the layer below it: only ``sql/staging`` reads ``raw.*`` and ``seeds.*``;
intermediate models read staging and intermediate; marts read intermediate only; checks read the candidate marts,
intermediate or staging; macros read no table. References are ``schema.table`` after comments and string
literals are removed (Python models in ``sql/`` are read the same way)."""

from __future__ import annotations

import re
from pathlib import Path

from house import ROOT

SCHEMAS = ("raw", "seeds", "staging", "intermediate", "marts", "marts_candidate", "meta", "quarantine")
ALLOWED = {
    "staging": {"raw", "seeds", "staging"},
    "intermediate": {"staging", "intermediate"},
    "marts": {"intermediate"},
    "checks": {"marts_candidate", "intermediate", "staging"},
    "macros": set(),
}
# Reviewed exceptions: (file, reference) -> why.
EXCEPTIONS = {
    ("checks/league_table__score_jump_vs_published.sql", "marts.league_table"):
        "the jump check compares the candidate with the previous publication, which is what marts.* holds",
    ("checks/league_table__score_jump_vs_published.sql", "marts.indicator_scores"):
        "the same check: which indicators moved since the previous publication",
}
_REF = re.compile(rf"\b({'|'.join(SCHEMAS)})\.([a-z_][a-z0-9_]*)\b")
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/|#[^\n]*", re.S)
_STRING = re.compile(r"'(?:[^']|'')*'")


def references(text: str, python: bool = False) -> set[str]:
    """``schema.table`` references of a model; in a Python model only inside its string literals."""
    if python:
        chunks = re.findall(r'"""(.*?)"""|"([^"\n]*)"', _COMMENT.sub("", text), re.S)
        text = "\n".join(a or b for a, b in chunks)
    else:
        text = _STRING.sub("''", re.sub(r"--[^\n]*|/\*.*?\*/", "", text, flags=re.S))
    return {f"{m.group(1)}.{m.group(2)}" for m in _REF.finditer(text)}


def _violations(sql_dir: Path) -> list[str]:
    bad = []
    for path in sorted([*sql_dir.rglob("*.sql"), *sql_dir.rglob("*.py")]):
        layer = path.relative_to(sql_dir).parts[0]
        rel = path.relative_to(sql_dir).as_posix()
        if layer not in ALLOWED:
            bad.append(f"{rel}: not in a known layer ({', '.join(ALLOWED)})")
            continue
        for ref in sorted(references(path.read_text(encoding="utf-8"), python=path.suffix == ".py")):
            if ref.split(".")[0] not in ALLOWED[layer] and (rel, ref) not in EXCEPTIONS:
                bad.append(f"{rel}: reads {ref} (a {layer} model may read {sorted(ALLOWED[layer]) or 'no table'})")
    return bad


def test_each_layer_reads_only_the_layer_below() -> None:
    bad = _violations(ROOT / "sql")
    assert bad == [], "\n".join(bad)


def test_raw_and_seeds_only_in_staging() -> None:
    bad = [v for v in _violations(ROOT / "sql") if " reads raw." in v or " reads seeds." in v]
    assert bad == [], "\n".join(bad)


def test_every_exception_is_still_needed() -> None:
    for rel, ref in EXCEPTIONS:
        path = ROOT / "sql" / rel
        assert path.is_file() and ref in references(path.read_text(encoding="utf-8")), (rel, ref)


def test_the_reader_ignores_comments_and_strings() -> None:
    sql = "-- reads raw.report_rows in a comment\nselect 'seeds.cities' as s, x.a from staging.stg_cities as x"
    assert references(sql) == {"staging.stg_cities"}
    py = '# seeds.cities\nSQL = "select * from intermediate.int_periods"\n'
    assert references(py, python=True) == {"intermediate.int_periods"}
