"""Run the Great Expectations suites of ``expectations/`` against DuckDB tables and record every result.

Why this shape: GX 1.24.1 cannot validate DuckDB through SQLAlchemy (results are read after the connection is
closed; see docs/validation.md). So DuckDB computes each batch where the data lives (only the needed columns, plus
derived columns such as ``share_value`` and one boolean column per singular SQL check of ``sql/checks``), and GX
validates that batch as a pandas DataFrame. One GX context is reused per process: importing GX costs seconds,
a context costs milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from transforms.core.paths import DataPaths

# A batch whose rows would be quarantined in a larger share than this is refused whole: so many bad rows mean a
# structural fault (a changed template, a code list), not a few typing errors.
QUARANTINE_MAX_SHARE = 0.2
SAMPLE_ROWS = 5
_BIG_RESULT_KEYS = ("unexpected_list", "unexpected_index_list", "unexpected_index_query", "partial_unexpected_counts")


@dataclass
class SuiteResult:
    """What one suite found on one asset in one run (JSON-serialisable, so stages in other processes can read it)."""

    asset: str
    suite: str
    success: bool
    critical_failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rows: list[dict] = field(default_factory=list)
    quarantined: int = 0
    skipped: str = ""
    gx_result: dict | None = None
    run_id: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _quiet_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


@cache
def _context() -> Any:
    """One ephemeral GX context per process, with one pandas data source that every suite reads from."""
    _quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.data_sources.add_pandas(name="hnplus")
    return context


def _validation_definition(suite_name: str, skipped_columns: frozenset[str] = frozenset()) -> Any:
    import great_expectations as gx

    from expectations.suites import assets

    context = _context()
    built = assets()[suite_name].build()
    if skipped_columns:
        built = gx.ExpectationSuite(name=built.name, meta=built.meta, expectations=[
            e for e in built.expectations if getattr(e, "column", None) not in skipped_columns])
    source = context.data_sources.get("hnplus")
    try:
        data_asset = source.get_asset(suite_name)
    except (LookupError, ValueError):
        data_asset = source.add_dataframe_asset(name=suite_name)
    try:
        batch_def = data_asset.get_batch_definition("whole")
    except (KeyError, LookupError, ValueError):
        batch_def = data_asset.add_batch_definition_whole_dataframe(name="whole")
    suite = context.suites.add_or_update(built)
    return context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"vd_{suite_name}", data=batch_def, suite=suite))


def _table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, name]
    ).fetchall()[0][0] > 0


def _published_tables_missing(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    refs = sorted(set(re.findall(r"\bmarts\.([a-z_][a-z0-9_]*)", sql)))
    return [f"marts.{t}" for t in refs if not _table_exists(con, f"marts.{t}")]


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def _records(df: pd.DataFrame, limit: int = SAMPLE_ROWS) -> list[dict]:
    return [{k: _jsonable(v) for k, v in r.items()} for r in df.head(limit).to_dict(orient="records")]


def _numpy_nullable(df: pd.DataFrame) -> pd.DataFrame:
    """Nullable integer columns (pandas Int64 with <NA>, what DuckDB gives for a rank with gaps) as float64: GX 1.24's
    type-list expectation misreads them (it reports int64 and fails without naming a row)."""
    for column in df.columns:
        dtype = df[column].dtype
        if pd.api.types.is_extension_array_dtype(dtype) and pd.api.types.is_integer_dtype(dtype):
            df[column] = df[column].astype("float64")
    return df


def _batch(con: duckdb.DuckDBPyConnection, asset: Any, run_checks: list[Any]) -> str:
    """The batch query: the asset's projection plus one boolean column per SQL check (rows it flags)."""
    parts = [f"batch as ({asset.batch_sql})"]
    joins, cols = [], []
    for i, chk in enumerate(run_checks):
        keys = ", ".join(chk.keys)
        parts.append(f"c{i} as (select distinct {keys}, true as hit from _check_{chk.name})")
        cond = " and ".join(f"batch.{k} is not distinct from c{i}.{k}" for k in chk.keys)
        joins.append(f"left join c{i} on {cond}")
        cols.append(f"coalesce(c{i}.hit, false) as {chk.column}")
    select = ", ".join(["batch.*", *cols])
    return f"with {', '.join(parts)}\nselect {select} from batch {' '.join(joins)}"


def validate_asset(con: duckdb.DuckDBPyConnection, suite_name: str, run_id: str) -> SuiteResult:
    """Validate one asset with its suite; critical row-level failures of report rows are quarantined."""
    from expectations.suites import assets, sql_checks

    asset = assets()[suite_name]
    t0 = time.perf_counter()
    out = SuiteResult(asset=asset.table, suite=suite_name, success=True, run_id=run_id)
    if not _table_exists(con, asset.table):
        out.skipped = f"table {asset.table} does not exist"
        out.warnings.append(out.skipped)
        out.rows.append(_row(out, "table_exists", "", "warning", False, 0, 0, [],
                             f"the asset {asset.table} was not built in this run, so its suite was skipped",
                             "skipped"))
        out.seconds = round(time.perf_counter() - t0, 3)
        return out

    run_checks, check_rows, skipped = [], {}, set()
    for chk in sql_checks(suite_name):
        missing = _published_tables_missing(con, chk.sql) if chk.reads_published() else []
        if missing:
            out.rows.append(_row(out, f"sql_check:{chk.name}", chk.column, "warning", True, 0, 0, [],
                                 f"skipped: nothing published yet to compare with ({', '.join(missing)})",
                                 "skipped"))
            skipped.add(chk.column)
            continue
        sql = chk.sql.strip().rstrip(";")
        con.execute(f"create or replace temp table _check_{chk.name} as {sql}")
        check_rows[chk.column] = con.execute(f"select * from _check_{chk.name}").df()
        run_checks.append(chk)

    try:
        df = _numpy_nullable(con.execute(_batch(con, asset, run_checks)).df())
    except duckdb.BinderException as exc:  # a column the suite reads is gone: structural, the batch fails whole
        message = f"the batch query of {asset.table} failed: {str(exc).splitlines()[0]}"
        out.critical_failures.append(message)
        out.success = False
        out.rows.append(_row(out, "batch_query", "", "critical", False, 0, 0, [str(exc)[:500]],
                             message, "failed_batch"))
        out.seconds = round(time.perf_counter() - t0, 3)
        return out
    vd = _validation_definition(suite_name, frozenset(skipped))
    res = vd.run(batch_parameters={"dataframe": df}, result_format={"result_format": "COMPLETE"})

    bad_rows: dict[int, list[tuple[str, str, dict, Any]]] = {}
    for r in res.results:
        cfg = r.expectation_config
        meta = dict(cfg.meta or {})
        result = r.result or {}
        column = cfg.kwargs.get("column") or ",".join(cfg.kwargs.get("column_list", []) or [])
        severity = meta.get("severity", "critical")
        index = result.get("unexpected_index_list")
        raised = _raised(r.exception_info)
        row_level = index is not None and not raised
        count = int(result.get("unexpected_count") or 0)
        if column in check_rows:
            sample = _records(check_rows[column])
            count = count or len(check_rows[column])
        elif index:
            sample = _records(df.loc[index[:SAMPLE_ROWS], [*asset.keys, *column.split(",")]]
                              .drop_duplicates()) if column else []
        else:
            observed = result.get("observed_value")
            sample = [observed] if observed is not None else []
            if raised:
                sample = [raised]
        ok = bool(r.success)
        outcome = "passed" if ok else ("reported" if severity != "critical" else "failed_batch")
        if not ok and severity == "critical" and row_level and asset.row_level_quarantine and index:
            outcome = "quarantined"
            for i in index:
                bad_rows.setdefault(i, []).append((cfg.type, column, meta, df.at[i, column.split(",")[0]]))
        out.rows.append(_row(out, cfg.type, column, severity, ok, count, len(df), sample,
                             meta.get("failure_means", ""), outcome))
        message = f"{cfg.type}({column}): {meta.get('failure_means', '')} [{count} rows]"
        if outcome == "failed_batch":
            out.critical_failures.append(message)
        elif outcome == "reported":
            out.warnings.append(message)

    if bad_rows:
        if len(bad_rows) > QUARANTINE_MAX_SHARE * len(df):
            out.critical_failures.append(
                f"{len(bad_rows)} of {len(df)} rows fail critical expectations (more than "
                f"{QUARANTINE_MAX_SHARE:.0%}): the batch is refused whole instead of quarantining rows")
            for row in out.rows:
                if row["outcome"] == "quarantined":
                    row["outcome"] = "failed_batch"
        else:
            out.quarantined = quarantine_rows(con, df, bad_rows)
    out.success = not out.critical_failures
    out.gx_result = _strip(res.to_json_dict())
    out.seconds = round(time.perf_counter() - t0, 3)
    for row in out.rows:
        row["seconds"] = out.seconds
    return out


def _raised(info: Any) -> str:
    """The exception message GX caught while evaluating an expectation, or ''."""
    if not isinstance(info, dict):
        return ""
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "exception")
    for v in info.values():
        if isinstance(v, dict) and v.get("raised_exception"):
            return str(v.get("exception_message") or "exception")
    return ""


def _row(out: SuiteResult, expectation: str, column: str, severity: str, success: bool, unexpected: int,
         elements: int, sample: list, failure_means: str, outcome: str) -> dict:
    return {
        "run_id": out.run_id, "asset": out.asset, "suite": out.suite, "expectation": expectation,
        "column": column, "severity": severity, "failure_means": failure_means, "success": success,
        "unexpected_count": unexpected, "element_count": elements,
        "sample": json.dumps(sample, ensure_ascii=False, default=str), "outcome": outcome, "seconds": 0.0,
    }


def _strip(result: dict) -> dict:
    """Drop the full index lists from a stored GX result (they can be larger than the data); keep the samples."""
    for r in result.get("results", []):
        res = r.get("result") or {}
        for k in _BIG_RESULT_KEYS:
            res.pop(k, None)
    return result


def quarantine_rows(con: duckdb.DuckDBPyConnection, df: pd.DataFrame,
                    bad_rows: dict[int, list[tuple[str, str, dict, Any]]]) -> int:
    """Move failing report rows to ``quarantine.report_rows`` and keep the row accounting of their files true."""
    records = []
    for i, fails in sorted(bad_rows.items()):
        etype, column, meta, value = fails[0]
        others = "; ".join(f"{t}({c})" for t, c, _, _ in fails[1:])
        shown = _jsonable(value)
        en = f"{meta.get('failure_means', etype)} (column {column}, value {shown!r})"
        reason_zh = meta.get("failure_means_zh") or meta.get("failure_means", etype)
        zh = f"数据校验未通过:{reason_zh}(字段 {column},值 {shown})"
        if others:
            en += f"; also failed: {others}"
            zh += f";另有:{others}"
        records.append({"_rowid": int(df.at[i, "_rowid"]), "column_name": column.split(",")[0],
                        "reason_code": etype, "message_zh": zh, "message_en": en})
    q = pd.DataFrame(records)  # noqa: F841 (read by DuckDB through its replacement scan)
    con.execute("create schema if not exists quarantine")
    con.execute(
        "create table if not exists quarantine.report_rows (file_id varchar, original_name varchar, sheet varchar, "
        "row_number bigint, column_name varchar, reason_code varchar, message_zh varchar, message_en varchar, "
        "raw_record varchar)")
    file_cols = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'raw' and table_name = 'report_files'"
    ).fetchall()}
    con.execute("begin transaction")
    try:
        con.execute("""
            insert into quarantine.report_rows by name
            select r.file_id, f.original_name, r.sheet, r.row_number, q.column_name, q.reason_code, q.message_zh,
                q.message_en, cast(to_json(r) as varchar) as raw_record
            from raw.report_rows as r
            inner join q on r.rowid = q._rowid
            left join raw.report_files as f on r.file_id = f.file_id""")
        if {"rows_staged", "rows_quarantined"} <= file_cols:
            con.execute("""
                update raw.report_files as f set
                    rows_staged = f.rows_staged - n.moved, rows_quarantined = f.rows_quarantined + n.moved
                from (select r.file_id, count(*) as moved from raw.report_rows as r
                      inner join q on r.rowid = q._rowid group by r.file_id) as n
                where f.file_id = n.file_id""")
        con.execute("delete from raw.report_rows where rowid in (select _rowid from q)")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return len(records)


def validate_stage(con: duckdb.DuckDBPyConnection, stage: str, run_id: str) -> list[SuiteResult]:
    """Validate every asset of a stage: ``inputs`` (raw tables) or ``audit`` (staged facts and candidate marts)."""
    from expectations.suites import assets

    return [validate_asset(con, name, run_id) for name, a in assets().items() if a.stage == stage]


def record_results(con: duckdb.DuckDBPyConnection, results: list[SuiteResult]) -> None:
    """Write results to ``meta.validation_results`` (one row per expectation, asset and run), replacing a rerun's."""
    con.execute("create schema if not exists meta")
    con.execute(
        """create table if not exists meta.validation_results (
            run_id varchar, asset varchar, suite varchar, expectation varchar, "column" varchar,
            severity varchar, failure_means varchar, success boolean, unexpected_count bigint,
            element_count bigint, sample varchar, seconds double)"""
    )
    con.execute("alter table meta.validation_results add column if not exists outcome varchar")
    rows = [r for res in results for r in res.rows]
    if not rows:
        return
    df = pd.DataFrame(rows)  # noqa: F841 (read by DuckDB through its replacement scan)
    for run_id, suite in {(r["run_id"], r["suite"]) for r in rows}:
        con.execute("delete from meta.validation_results where run_id = ? and suite = ?", [run_id, suite])
    con.execute("insert into meta.validation_results by name select * from df")


def results_dir(paths: DataPaths, run_id: str) -> Path:
    """Where a run's GX results are kept between stages (Airflow runs stages in separate processes)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in run_id)
    return paths.work / "validation" / safe


def save_results(results: list[SuiteResult], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for r in results:
        (directory / f"{r.suite}.json").write_text(json.dumps(r.to_dict(), ensure_ascii=False, default=str),
                                                  encoding="utf-8")


def load_results(directory: Path) -> list[SuiteResult]:
    """Every suite result saved for a run, in the order of ``expectations.suites.assets()``."""
    from expectations.suites import assets

    order = list(assets())
    found = [SuiteResult(**json.loads(p.read_text(encoding="utf-8"))) for p in sorted(directory.glob("*.json"))]
    return sorted(found, key=lambda r: order.index(r.suite) if r.suite in order else len(order))


_REMOTE_TAG = re.compile(
    r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>|<link[^>]*\bhref=\"https?://[^\"]*\"[^>]*/?>", re.I)


def build_data_docs(results: list[SuiteResult], out_dir: Path) -> Path:
    """Render GX Data Docs for the results into ``out_dir`` (a static site with ``index.html``); returns out_dir.

    The site builder of a fresh ephemeral context renders the stored results, so this works in any process.
    Links to CDNs are stripped: officials may read the published dataset offline.
    """
    _quiet_gx()
    import great_expectations as gx
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    from expectations.suites import assets

    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    context = gx.get_context(mode="ephemeral")
    site = "hnplus_" + hashlib.sha1(str(out_dir).encode()).hexdigest()[:8]
    context.add_data_docs_site(site_name=site, site_config={
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(out_dir)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    for r in results:
        if r.suite in assets():
            context.suites.add_or_update(assets()[r.suite].build())
        if not r.gx_result:
            continue
        gx_res = ExpectationSuiteValidationResult(**r.gx_result)
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=r.suite),
            run_id=RunIdentifier(run_name=r.run_id or "run"),
            batch_identifier=r.asset,
        )
        context.validation_results_store.set(key, gx_res)
    context.build_data_docs(site_names=[site])
    for html in out_dir.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        html.write_text(_REMOTE_TAG.sub("", text), encoding="utf-8")
    shutil.rmtree(out_dir / "static" / "fonts", ignore_errors=True)
    for img in (out_dir / "static" / "images").glob("*"):
        if img.suffix in (".gif", ".png") and img.stat().st_size > 50_000:
            img.unlink()
    _write_summary(results, out_dir)
    return out_dir


def _write_summary(results: list[SuiteResult], out_dir: Path) -> None:
    """A plain summary page beside GX's index: one line per suite with outcome and seconds."""
    import html

    lines = ["<!doctype html><meta charset='utf-8'><title>hnplus validation summary</title>",
             "<h1>Validation summary / 数据校验摘要</h1><table border='1' cellpadding='4'>",
             "<tr><th>asset</th><th>suite</th><th>success</th><th>critical</th><th>warnings</th>"
             "<th>quarantined rows</th><th>seconds</th></tr>"]
    for r in results:
        # link each suite to its GX validation page: GX's own index needs JavaScript from a CDN to list them
        pages = sorted((out_dir / "validations" / r.suite).rglob("*.html"))
        suite = html.escape(r.suite)
        if pages:
            suite = f"<a href='{html.escape(pages[-1].relative_to(out_dir).as_posix())}'>{suite}</a>"
        lines.append(
            f"<tr><td>{html.escape(r.asset)}</td><td>{suite}</td><td>{r.success}</td>"
            f"<td>{html.escape('; '.join(r.critical_failures))}</td>"
            f"<td>{html.escape('; '.join(r.warnings))}</td><td>{r.quarantined}</td><td>{r.seconds}</td></tr>")
    lines.append("</table><p><a href='index.html'>Great Expectations Data Docs</a></p>")
    (out_dir / "summary.html").write_text("\n".join(lines), encoding="utf-8")


def summarise(results: list[SuiteResult]) -> dict:
    """A small XCom-friendly dict of a stage's results."""
    return {
        "suites": [{"suite": r.suite, "asset": r.asset, "success": r.success, "seconds": r.seconds,
                    "quarantined": r.quarantined, "skipped": r.skipped, "warnings": len(r.warnings)}
                   for r in results],
        "quarantined": sum(r.quarantined for r in results),
        "seconds": round(sum(r.seconds for r in results), 3),
    }
