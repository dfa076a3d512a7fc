"""Write-audit-publish: marts are built into a candidate schema and promoted only after a clean audit."""

from __future__ import annotations

import duckdb

from transforms.build import increment
from transforms.core.paths import SQL_DIR
from transforms.core.schemas import CANDIDATE_SCHEMA


class CandidateNotAudited(RuntimeError):
    """Raised when promotion is asked for a run whose audit did not pass: nothing unaudited reaches ``marts``."""


def audit_passed(con: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    """True when ``meta.validation_results`` holds a clean audit of the candidate marts for ``run_id``."""
    try:
        rows = con.execute(
            "select count(*) filter (where asset like ?), "
            "count(*) filter (where severity = 'critical' and not success and outcome = 'failed_batch') "
            "from meta.validation_results where run_id = ?",
            [f"{CANDIDATE_SCHEMA}.%", run_id],
        ).fetchall()
    except duckdb.Error:
        return False
    audited, failed = rows[0]
    return audited > 0 and failed == 0


def mart_sql(mart: str) -> str:
    """The mart's SQL (its ``-- incremental:`` header says what promotion may rewrite)."""
    path = SQL_DIR / "marts" / f"{mart}.sql"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def promote_candidate(con: duckdb.DuckDBPyConnection, require_audit_of: str | None = None) -> list[str]:
    """Write the audited candidate marts (views over the intermediate tables) as the tables of schema ``marts``, in
    one transaction: readers of the working database see the old marts or the new ones. A mart marked
    ``-- incremental: period`` gets only the periods the builds since the last promotion changed; one marked
    ``-- incremental: period, city`` only those periods' rows of the cities whose reports changed.

    With ``require_audit_of=run_id`` it refuses (``CandidateNotAudited``) unless that run's audit passed, so a
    publish task started by mistake after a failed audit cannot promote the candidate.
    """
    if require_audit_of is not None and not audit_passed(con, require_audit_of):
        raise CandidateNotAudited(f"the audit of run {require_audit_of!r} did not pass; marts stay as published")
    tables = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = ? order by table_name",
        [CANDIDATE_SCHEMA]).fetchall()]
    scope = increment.promotion_scope(con)
    published = {t for (t,) in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'"
                                           ).fetchall()}
    con.execute("begin transaction")
    try:
        con.execute("create schema if not exists marts")
        for t in tables:
            sql = mart_sql(t)
            if scope.periods is not None and t in published and increment.is_incremental(sql):
                # only the periods the builds since the promoted one changed (increment.promotion_scope); quarters
                # and city codes only (sql_list refuses others): safe to inline
                where = f"period in ({increment.sql_list(tuple(scope.periods))})"
                if increment.by_city_model(sql) and scope.cities is not None:
                    where += f" and city_code in ({increment.sql_list(tuple(scope.cities))})"
                if scope.periods:
                    con.execute(f"delete from marts.{t} where {where}")
                    con.execute(f"insert into marts.{t} select * from {CANDIDATE_SCHEMA}.{t} where {where}")
            else:
                con.execute(f"create or replace table marts.{t} as select * from {CANDIDATE_SCHEMA}.{t}")
        increment.mark_promoted(con, scope.serial)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return tables
