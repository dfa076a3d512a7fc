"""Run the DuckDB models in ``sql/`` in dependency order: staging -> intermediate -> marts.

Each ``sql/<layer>/<model>.sql`` holds one ``select``; the runner materialises it as a table
``<layer>.<model>``. Marts are written to a candidate schema first so that they can be audited
before they replace the published ones (write-audit-publish).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from transforms.core.paths import SQL_DIR

LAYERS = ("staging", "intermediate", "marts")
CANDIDATE_SCHEMA = "marts_candidate"
_REF = re.compile(r"\b(staging|intermediate|marts)\.([a-z_][a-z0-9_]*)\b")


@dataclass(frozen=True)
class Model:
    layer: str
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def refs(self) -> set[tuple[str, str]]:
        return {(m.group(1), m.group(2)) for m in _REF.finditer(_strip_comments(self.sql))}


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def discover(sql_dir: Path = SQL_DIR) -> list[Model]:
    """All models, topologically sorted (layer order first, then references within a layer)."""
    models = {
        (layer, p.stem): Model(layer, p.stem, p)
        for layer in LAYERS
        for p in sorted((sql_dir / layer).glob("*.sql"))
    }
    ordered: list[Model] = []
    state: dict[tuple[str, str], int] = {}

    def visit(key: tuple[str, str]) -> None:
        if state.get(key) == 2:
            return
        if state.get(key) == 1:
            raise ValueError(f"cycle in SQL models at {key[0]}.{key[1]}")
        state[key] = 1
        for ref in sorted(models[key].refs()):
            if ref in models and ref != key:
                visit(ref)
        state[key] = 2
        ordered.append(models[key])

    for layer in LAYERS:
        for key in sorted(k for k in models if k[0] == layer):
            visit(key)
    return ordered


def run_models(
    con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR, layers: tuple[str, ...] = LAYERS
) -> dict[str, float]:
    """Materialise every model of ``layers``; marts go to the candidate schema. Returns seconds per model.

    ``layers`` lets the scoring step run Python between the intermediate models and the marts."""
    timings: dict[str, float] = {}
    for schema in ("staging", "intermediate", CANDIDATE_SCHEMA):
        con.execute(f"create schema if not exists {schema}")
    for model in discover(sql_dir):
        if model.layer not in layers:
            continue
        schema = CANDIDATE_SCHEMA if model.layer == "marts" else model.layer
        sql = model.sql
        if model.layer == "marts":
            sql = _REF.sub(lambda m: f"{CANDIDATE_SCHEMA}.{m.group(2)}" if m.group(1) == "marts" else m.group(0), sql)
        t0 = time.perf_counter()
        try:
            con.execute(f"create or replace table {schema}.{model.name} as\n{sql}")
        except duckdb.Error as exc:
            raise RuntimeError(f"model {model.layer}/{model.name}.sql failed: {exc}") from exc
        timings[f"{model.layer}.{model.name}"] = round(time.perf_counter() - t0, 4)
    return timings


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


def promote_candidate(con: duckdb.DuckDBPyConnection, require_audit_of: str | None = None) -> list[str]:
    """Swap the audited candidate marts into schema ``marts`` in one transaction.

    With ``require_audit_of=run_id`` it refuses (``CandidateNotAudited``) unless that run's audit passed, so a
    publish task started by mistake after a failed audit cannot promote the candidate.
    """
    if require_audit_of is not None and not audit_passed(con, require_audit_of):
        raise CandidateNotAudited(f"the audit of run {require_audit_of!r} did not pass; marts stay as published")
    tables = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = ? order by table_name",
        [CANDIDATE_SCHEMA]).fetchall()]
    con.execute("begin transaction")
    try:
        con.execute("create schema if not exists marts")
        for t in tables:
            con.execute(f"create or replace table marts.{t} as select * from {CANDIDATE_SCHEMA}.{t}")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return tables
