"""The materialisation rule of the model runner: tables by default, a view where an intermediate model asks for
one (``-- materialized: view``); a mart is a view of the candidate schema, which promotion writes as the published
table; a model that changes kind between builds replaces the old object instead of failing on it."""

from __future__ import annotations

from pathlib import Path

import duckdb

from transforms.build.candidate import promote_candidate
from transforms.build.models import discover, run_models
from transforms.core.paths import SQL_DIR


def _kinds(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute("select schema_name || '.' || table_name, 'table' from duckdb_tables() union all "
                       "select schema_name || '.' || view_name, 'view' from duckdb_views() where not internal"
                       ).fetchall()
    return dict(rows)


def _tree(root: Path, view_header: bool) -> Path:
    for layer in ("staging", "intermediate", "marts", "macros"):
        (root / layer).mkdir(parents=True, exist_ok=True)
    (root / "staging" / "stg_numbers.sql").write_text("select range as n from range(5)\n", encoding="utf-8")
    header = "-- Doubles, read by one mart only.\n-- materialized: view\n" if view_header else "-- Doubles.\n"
    (root / "intermediate" / "int_doubles.sql").write_text(
        header + "select n, 2 * n as doubled from staging.stg_numbers\n", encoding="utf-8")
    (root / "marts" / "doubles.sql").write_text(
        "-- materialized: view\nselect n, doubled from intermediate.int_doubles\n", encoding="utf-8")
    return root


def test_view_header_makes_a_view_and_kinds_can_switch(tmp_path: Path) -> None:
    con = duckdb.connect()
    sql_dir = _tree(tmp_path / "sql", view_header=True)
    run_models(con, sql_dir)
    kinds = _kinds(con)
    assert kinds["intermediate.int_doubles"] == "view"
    assert kinds["staging.stg_numbers"] == "table"
    assert kinds["marts_candidate.doubles"] == "view", "a candidate mart is a view whatever its header says"
    assert con.execute("select sum(doubled) from marts_candidate.doubles").fetchone()[0] == 20
    assert promote_candidate(con) == ["doubles"]
    assert _kinds(con)["marts.doubles"] == "table", "promotion writes the published mart as a table"
    con.execute("update staging.stg_numbers set n = n + 1")  # what the next build would change ...
    assert con.execute("select sum(doubled) from marts.doubles").fetchone()[0] == 20  # ... not the published mart

    _tree(tmp_path / "sql", view_header=False)  # the next build: the model became a table again
    run_models(con, sql_dir)
    assert _kinds(con)["intermediate.int_doubles"] == "table"
    _tree(tmp_path / "sql", view_header=True)  # and back
    run_models(con, sql_dir)
    assert _kinds(con)["intermediate.int_doubles"] == "view"
    assert con.execute("select sum(doubled) from marts_candidate.doubles").fetchone()[0] == 20


def test_the_product_views_are_read_by_one_model_only() -> None:
    """A view is recomputed by every reader: the rule is for models with a single reader (else it costs twice)."""
    models = discover(SQL_DIR)
    for view in (m for m in models if m.materialized == "view" and m.layer != "marts"):
        readers = [m for m in models if (view.layer, view.name) in m.refs()]
        assert len(readers) == 1, (view.name, [r.name for r in readers])


def test_no_mart_uses_a_macro() -> None:
    """The macros are temporary, on the build connection; promotion reads the candidate views on the publish stage's
    connection, where a mart calling one would fail only then, after a clean audit."""
    import re

    names = set()
    for path in (SQL_DIR / "macros").glob("*.sql"):
        names |= set(re.findall(r"\bmacro\s+([a-z_][a-z0-9_]*)\s*\(", path.read_text(encoding="utf-8"), re.I))
    assert len(names) >= 10, names
    for mart in (m for m in discover(SQL_DIR) if m.layer == "marts"):
        sql = re.sub(r"--[^\n]*", "", mart.sql)
        used = {n for n in names if re.search(rf"\b{n}\s*\(", sql)}
        assert not used, (mart.name, used)
