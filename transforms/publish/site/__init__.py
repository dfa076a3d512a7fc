"""The static website of a published dataset: ``index.html`` + ``data.js`` + vendored ECharts and the Henan map.

Why this shape: officials open the page from a shared drive (``file://``) as often as over HTTP, and may have no
internet. So nothing comes from a CDN, and the data is a script assigning a global (``window.HNPLUS_DATA``)
rather than a ``fetch()`` that ``file://`` forbids. ECharts comes from the npm tarball cached at install time
(``make site-vendor``: ``npm pack echarts@5`` into ``.cache/npm``), the map from the PyPI package
``echarts-china-provinces-pypkg``. Without them the page still works, without the map and charts.
"""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path

import duckdb

from transforms.catalog import indicators, read_seed
from transforms.core.files import sha256_file
from transforms.core.paths import REPO_ROOT
from transforms.publish import labels as lb
from transforms.publish.datapackage import COLUMNS, TABLES, column_doc
from transforms.publish.records import json_records
from transforms.publish.site.audit import write_audit_page
from transforms.publish.site.markdown import markdown_to_html

ASSETS = Path(__file__).resolve().parent / "assets"
NPM_CACHE = REPO_ROOT / ".cache" / "npm"
METHODOLOGY = ASSETS / "methodology.md"  # docs/methodology.md links here
READERS_METHODOLOGY = ASSETS / "methodology_readers.md"  # the plain-language Chinese page shown first


_DOWNLOADS = (".csv", ".parquet", ".json", ".xlsx", ".pdf")


class VendorMissing(RuntimeError):
    """ECharts or the Henan map is not installed (run ``make site-vendor``)."""


def echarts_js() -> bytes:
    """``dist/echarts.min.js`` from the cached npm tarball (``HNPLUS_ECHARTS_TGZ`` overrides the location)."""
    env = os.environ.get("HNPLUS_ECHARTS_TGZ")
    candidates = [Path(env)] if env else sorted(NPM_CACHE.glob("echarts-5.*.tgz"), reverse=True)
    for tgz in candidates:
        if tgz.is_file():
            with tarfile.open(tgz) as tf:
                member = tf.extractfile("package/dist/echarts.min.js")
                if member is not None:
                    return member.read()
    module = REPO_ROOT / "node_modules" / "echarts" / "dist" / "echarts.min.js"
    if module.is_file():
        return module.read_bytes()
    raise VendorMissing("echarts not found: run `make site-vendor` (npm pack echarts@5 into .cache/npm)")


def henan_js() -> bytes:
    """The Henan map script (``registerMap("河南", ...)``, feature ids are city codes)."""
    try:
        import echarts_china_provinces_pypkg as pkg
    except ImportError as exc:
        raise VendorMissing("pip install echarts-china-provinces-pypkg==0.0.3 (sdist: --no-build-isolation)") from exc
    path = Path(pkg.__file__).parent / "resources" / "echarts-china-provinces-js" / "henan.js"
    return path.read_bytes()


def _frame_rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple[list[str], list[list]]:
    df = con.execute(sql, params or []).df()
    recs = json_records(df)
    cols = list(df.columns)
    return cols, [[r[c] for c in cols] for r in recs]


def _plan_labels() -> tuple[dict[str, int], dict[str, list[str]]]:
    """The action order and the special names of the plan catalogue (not part of the published tables)."""
    seq = {r["action_code"]: int(r["seq"]) for r in read_seed("plan_actions.csv")}
    special_names = {r["special_code"]: [r["name_zh"], r["name_en"]]
                     for r in sorted(read_seed("plan_specials.csv"), key=lambda r: r["special_code"])}
    return seq, special_names


def site_data(dataset: Path) -> dict:
    """Everything the page shows, as one JSON-able dict (compact: column list + row arrays), read from the
    dataset folder's own files (metadata.json and the Parquet tables), so any published dataset can be rendered
    again as it was."""
    metadata = json.loads((dataset / "metadata.json").read_text(encoding="utf-8"))
    con = duckdb.connect()
    try:
        con.read_parquet(str(dataset / "league_table.parquet")).create_view("league_table")
        cols, rows = _frame_rows(con, "select * from league_table order by period, scope, rank, city_code")
        periods = [p for (p,) in con.execute("select distinct period from league_table order by 1").fetchall()]
        latest = periods[-1] if periods else None
        seq, special_names = _plan_labels()
        actions = sorted({(s, zh, en) for s, zh, en in con.execute(
            "select distinct scope, scope_name, scope_name_en from league_table where scope <> 'overall'"
        ).fetchall()}, key=lambda a: (seq.get(a[0], 99), a[0]))
        cities = [list(r) for r in con.execute(
            "select distinct city_code, city_name, city_name_en from league_table order by city_code").fetchall()]
        spec_cols, spec_rows = ([], [])
        specials = dataset / "special_scores.parquet"
        if specials.is_file() and latest:
            con.read_parquet(str(specials)).create_view("special_scores")
            spec_cols, spec_rows = _frame_rows(
                con, "select period, city_code, special_code, action_code, score, coverage from special_scores "
                     "order by period, city_code, special_code")
        why = _why(con, dataset)
    finally:
        con.close()
    inputs = metadata.get("inputs") or {}
    return {
        "dataset_id": metadata.get("dataset_id"),
        "method_version": metadata.get("method_version"),
        "periods": periods,
        "latest_period": latest,
        "actions": [list(a) for a in actions],
        "cities": cities,
        "league": {"columns": cols, "rows": rows},
        "specials": {"period": latest, "columns": spec_cols, "rows": spec_rows},
        "why": why,
        "labels": _labels(),
        "bulletins": sorted(p.name for p in (dataset / "periods").glob("*") if (p / "bulletin_zh.pdf").is_file()),
        "special_names": special_names,
        "reports": inputs.get("reports", []),
        "feeds": inputs.get("feeds", []),
        "stale_feeds": metadata.get("stale_feeds", []),
        "validation": _validation_summary(metadata.get("validation", [])),
        "column_docs": {k: [d.title_zh, d.title_en, d.desc_zh, d.desc_en] for k, d in COLUMNS.items()},
        "table_docs": {k: [d.title_zh, d.title_en, d.desc_zh, d.desc_en] for k, d in TABLES.items()},
        "methodology_html": markdown_to_html(READERS_METHODOLOGY.read_text(encoding="utf-8"))
        + '<hr id="technical"><p class="note">技术说明(中英文) / Technical methodology</p>'
        + markdown_to_html(METHODOLOGY.read_text(encoding="utf-8")),
    }


WHY_TOP = 5  # contributions shown per city and period on the city page


def _why(con: duckdb.DuckDBPyConnection, dataset: Path) -> dict:
    """For each period and city, the overall score change and its largest indicator contributions (from the
    dataset's ``score_changes``), so the city page can say why the rank changed."""
    path = dataset / "score_changes.parquet"
    if not path.is_file():
        return {"columns": [], "rows": [], "totals": [], "names": {}}
    con.read_parquet(str(path)).create_view("score_changes")
    cols, rows = _frame_rows(con, """
        select period, city_code, indicator_code, score_change, cause, previous_value, value from (
            select *, row_number() over (partition by period, city_code
                                         order by abs(score_change) desc, indicator_code) as n
            from score_changes where scope = 'overall' and abs(score_change) >= 0.005)
        where n <= ? order by period, city_code, n""", [WHY_TOP])
    _, totals = _frame_rows(con, "select period, city_code, previous_period, sum(score_change) from score_changes "
                                 "where scope = 'overall' group by all order by period, city_code")
    codes = {r[2] for r in rows}
    names = {i["indicator_code"]: [i["name_zh"], i["name_en"]] for i in indicators() if i["indicator_code"] in codes}
    for sp in read_seed("plan_specials.csv"):
        if f"ms_{sp['special_code']}" in codes:
            names[f"ms_{sp['special_code']}"] = [f"{sp['name_zh']}推进状态", f"{sp['name_en']}: implementation status"]
    return {"columns": cols, "rows": rows, "totals": totals, "names": names}


def _labels() -> dict:
    """The reader's words for every status and code, shared with the workbook and the bulletin."""
    return {"on_track": lb.ON_TRACK, "light": lb.LIGHT, "light_rule": lb.LIGHT_RULE,
            "evidence": lb.EVIDENCE_AGREEMENT, "evidence_meaning": lb.EVIDENCE_MEANING,
            "no_score_reason": lb.NO_SCORE_REASON, "cause": lb.CAUSES,
            "order": {"light": list(lb.LIGHT), "on_track": list(lb.ON_TRACK), "evidence": list(lb.EVIDENCE_AGREEMENT)}}


def _validation_summary(results: list[dict]) -> dict:
    failed = [r for r in results if not r.get("success")]
    return {"checks": len(results), "failed": len(failed),
            "failed_critical": sum(1 for r in failed if r.get("severity") == "critical")}


def build_site(out: Path, has_data_docs: bool = False) -> Path:
    """Write ``index.html``, ``data.js`` and ``assets/`` into the dataset folder ``out``, from its own files
    (written before: the tables and metadata.json); returns index.html."""
    assets = out / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    data = site_data(out)
    data["has_map"] = True
    data["has_data_docs"] = has_data_docs
    data["files"] = [{"path": p.name, "bytes": p.stat().st_size, "sha256": sha256_file(p)}
                     for p in sorted(out.iterdir()) if p.is_file() and p.suffix in _DOWNLOADS]
    try:
        (assets / "echarts.min.js").write_bytes(echarts_js())
        (assets / "henan.js").write_bytes(henan_js())
    except VendorMissing as exc:
        data["has_map"] = False
        data["vendor_missing"] = str(exc)
    for name in ("app.js", "style.css"):
        (assets / name).write_bytes((ASSETS / name).read_bytes())
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    payload = payload.replace("</", "<\\/")
    (out / "data.js").write_text(f"window.HNPLUS_DATA = {payload};\n", encoding="utf-8")
    vendor = ('<script src="assets/echarts.min.js"></script>\n<script src="assets/henan.js"></script>\n'
              if data["has_map"] else "")
    page = (ASSETS / "index.html").read_text(encoding="utf-8").replace("<!--VENDOR-->", vendor)
    (out / "index.html").write_text(page, encoding="utf-8")
    write_audit_page(out)
    return out / "index.html"


__all__ = ["VendorMissing", "build_site", "column_doc", "echarts_js", "henan_js", "markdown_to_html", "site_data"]
