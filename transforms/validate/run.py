"""Validate one asset with its suite: the SQL checks, the GX expectations on the batch, then quarantine or refuse.

A critical failure of single report rows moves those rows to quarantine; anything structural (a missing column,
more than ``QUARANTINE_MAX_SHARE`` of the rows failing) refuses the batch whole, and the stage stops the run.
"""

from __future__ import annotations

import re
import time
from typing import Any

import duckdb
import pandas as pd

from transforms.validate.gx import validation_definition
from transforms.validate.quarantine import quarantine_rows
from transforms.validate.results import SuiteResult, jsonable, result_row, strip_result

# A batch whose rows would be quarantined in a larger share than this is refused whole: so many bad rows mean a
# structural fault (a changed template, a code list), not a few typing errors.
QUARANTINE_MAX_SHARE = 0.2
SAMPLE_ROWS = 5

BadRows = dict[int, list[tuple[str, str, dict, Any]]]


def _table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, name]
    ).fetchall()[0][0] > 0


def _published_tables_missing(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    refs = sorted(set(re.findall(r"\bmarts\.([a-z_][a-z0-9_]*)", sql)))
    return [f"marts.{t}" for t in refs if not _table_exists(con, f"marts.{t}")]


def _records(df: pd.DataFrame, limit: int = SAMPLE_ROWS) -> list[dict]:
    return [{k: jsonable(v) for k, v in r.items()} for r in df.head(limit).to_dict(orient="records")]


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


def _finish(out: SuiteResult, t0: float) -> SuiteResult:
    out.seconds = round(time.perf_counter() - t0, 3)
    return out


def _skipped_asset(out: SuiteResult, table: str, t0: float) -> SuiteResult:
    out.skipped = f"table {table} does not exist"
    out.warnings.append(out.skipped)
    out.rows.append(result_row(out, "table_exists", "", "warning", False, 0, 0, [],
                               f"the asset {table} was not built in this run, so its suite was skipped", "skipped"))
    return _finish(out, t0)


def _run_sql_checks(con: duckdb.DuckDBPyConnection, out: SuiteResult,
                    suite_name: str) -> tuple[list[Any], dict[str, pd.DataFrame], set[str]]:
    """Materialise the suite's SQL checks; a check against a publication that does not exist yet is skipped."""
    from expectations.suites import sql_checks

    run_checks, check_rows, skipped = [], {}, set()
    for chk in sql_checks(suite_name):
        missing = _published_tables_missing(con, chk.sql) if chk.reads_published() else []
        if missing:
            out.rows.append(result_row(out, f"sql_check:{chk.name}", chk.column, "warning", True, 0, 0, [],
                                       f"skipped: nothing published yet to compare with ({', '.join(missing)})",
                                       "skipped"))
            skipped.add(chk.column)
            continue
        sql = chk.sql.strip().rstrip(";")
        con.execute(f"create or replace temp table _check_{chk.name} as {sql}")
        check_rows[chk.column] = con.execute(f"select * from _check_{chk.name}").df()
        run_checks.append(chk)
    return run_checks, check_rows, skipped


def _failed_batch(out: SuiteResult, table: str, exc: Exception, t0: float) -> SuiteResult:
    message = f"the batch query of {table} failed: {str(exc).splitlines()[0]}"
    out.critical_failures.append(message)
    out.success = False
    out.rows.append(result_row(out, "batch_query", "", "critical", False, 0, 0, [str(exc)[:500]],
                               message, "failed_batch"))
    return _finish(out, t0)


def _sample(r: Any, column: str, df: pd.DataFrame, keys: list[str], check_rows: dict[str, pd.DataFrame],
            raised: str) -> tuple[list, int]:
    """A few offending rows (or the observed value) of one expectation result, and its unexpected count."""
    result = r.result or {}
    index = result.get("unexpected_index_list")
    count = int(result.get("unexpected_count") or 0)
    if column in check_rows:
        return _records(check_rows[column]), count or len(check_rows[column])
    if index:
        sample = _records(df.loc[index[:SAMPLE_ROWS], [*keys, *column.split(",")]].drop_duplicates()) \
            if column else []
        return sample, count
    observed = result.get("observed_value")
    sample = [observed] if observed is not None else []
    return ([raised] if raised else sample), count


def _read_result(out: SuiteResult, r: Any, df: pd.DataFrame, asset: Any, check_rows: dict[str, pd.DataFrame],
                 bad_rows: BadRows) -> None:
    """Record one expectation's outcome; row-level critical failures of a quarantining asset go to ``bad_rows``."""
    cfg = r.expectation_config
    meta = dict(cfg.meta or {})
    column = cfg.kwargs.get("column") or ",".join(cfg.kwargs.get("column_list", []) or [])
    severity = meta.get("severity", "critical")
    index = (r.result or {}).get("unexpected_index_list")
    raised = _raised(r.exception_info)
    row_level = index is not None and not raised
    sample, count = _sample(r, column, df, asset.keys, check_rows, raised)
    ok = bool(r.success)
    outcome = "passed" if ok else ("reported" if severity != "critical" else "failed_batch")
    if not ok and severity == "critical" and row_level and asset.row_level_quarantine and index:
        outcome = "quarantined"
        for i in index:
            bad_rows.setdefault(i, []).append((cfg.type, column, meta, df.at[i, column.split(",")[0]]))
    out.rows.append(result_row(out, cfg.type, column, severity, ok, count, len(df), sample,
                               meta.get("failure_means", ""), outcome))
    message = f"{cfg.type}({column}): {meta.get('failure_means', '')} [{count} rows]"
    if outcome == "failed_batch":
        out.critical_failures.append(message)
    elif outcome == "reported":
        out.warnings.append(message)


def _quarantine_or_refuse(con: duckdb.DuckDBPyConnection, out: SuiteResult, df: pd.DataFrame,
                          bad_rows: BadRows) -> None:
    if not bad_rows:
        return
    if len(bad_rows) > QUARANTINE_MAX_SHARE * len(df):
        out.critical_failures.append(
            f"{len(bad_rows)} of {len(df)} rows fail critical expectations (more than "
            f"{QUARANTINE_MAX_SHARE:.0%}): the batch is refused whole instead of quarantining rows")
        for row in out.rows:
            if row["outcome"] == "quarantined":
                row["outcome"] = "failed_batch"
    else:
        out.quarantined = quarantine_rows(con, df, bad_rows)


def validate_asset(con: duckdb.DuckDBPyConnection, suite_name: str, run_id: str) -> SuiteResult:
    """Validate one asset with its suite; critical row-level failures of report rows are quarantined."""
    from expectations.suites import assets

    asset = assets()[suite_name]
    t0 = time.perf_counter()
    out = SuiteResult(asset=asset.table, suite=suite_name, success=True, run_id=run_id)
    if not _table_exists(con, asset.table):
        return _skipped_asset(out, asset.table, t0)
    run_checks, check_rows, skipped = _run_sql_checks(con, out, suite_name)
    try:
        df = _numpy_nullable(con.execute(_batch(con, asset, run_checks)).df())
    except duckdb.BinderException as exc:  # a column the suite reads is gone: structural, the batch fails whole
        return _failed_batch(out, asset.table, exc, t0)
    vd = validation_definition(suite_name, frozenset(skipped))
    res = vd.run(batch_parameters={"dataframe": df}, result_format={"result_format": "COMPLETE"})
    bad_rows: BadRows = {}
    for r in res.results:
        _read_result(out, r, df, asset, check_rows, bad_rows)
    _quarantine_or_refuse(con, out, df, bad_rows)
    out.success = not out.critical_failures
    out.gx_result = strip_result(res.to_json_dict())
    _finish(out, t0)
    for row in out.rows:
        row["seconds"] = out.seconds
    return out


def validate_stage(con: duckdb.DuckDBPyConnection, stage: str, run_id: str) -> list[SuiteResult]:
    """Validate every asset of a stage: ``inputs`` (raw tables) or ``audit`` (indicator values and candidate marts)."""
    from expectations.suites import assets

    return [validate_asset(con, name, run_id) for name, a in assets().items() if a.stage == stage]
