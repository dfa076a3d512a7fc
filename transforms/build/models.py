"""Run the models in ``sql/`` in dependency order: macros, then staging -> intermediate -> marts.

A model is ``sql/<layer>/<name>.sql`` (one ``select``) or ``sql/<layer>/<name>.py`` (a Python model: a module with
``DEPENDS_ON``, the ``schema.table`` names it reads, and ``model(con, options)`` returning a relation or a
DataFrame, for work SQL does clumsily, such as the rank Monte Carlo). Either is materialised as the table
``<layer>.<name>``, except an SQL model whose file says ``-- materialized: view`` (a model read by one other model
only: it is computed once, inside its reader, instead of being written to disk and read back). Marts go to the
candidate schema first so they can be audited before they replace the published ones (write-audit-publish); there
they are views over the intermediate tables, and promotion writes each as the published table: a mart is written
once, by promotion, instead of once as a candidate table and again as its copy. ``sql/macros/*.sql`` hold the
formulas every model shares, each written once, as temporary macros of the build connection (they are not stored in
the warehouse file; no mart may use one, since promotion reads the views on another connection).
"""

from __future__ import annotations

import gc
import importlib.util
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import duckdb

from transforms.build.candidate import CANDIDATE_SCHEMA
from transforms.build.increment import Increment
from transforms.build.runcache import RUN_CACHE
from transforms.core.memory import release_freed_memory
from transforms.core.paths import SQL_DIR

LAYERS = ("staging", "intermediate", "marts")
_REF = re.compile(r"\b(staging|intermediate|marts)\.([a-z_][a-z0-9_]*)\b")
_MATERIALIZED = re.compile(r"^--\s*materialized:\s*(table|view)\s*$", re.M)
_RUN_CACHE = RUN_CACHE  # what the Python models of one run_models call share (transforms/build/runcache.py)


@dataclass(frozen=True)
class Model:
    """One model file: SQL (``.sql``) or Python (``.py``)."""

    layer: str
    name: str
    path: Path

    @property
    def is_python(self) -> bool:
        return self.path.suffix == ".py"

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def materialized(self) -> str:
        """``table`` unless an intermediate SQL model asks for ``view`` in its header; a mart is a view of the
        candidate schema (``candidate.promote_candidate`` writes it as the published table)."""
        if self.is_python:
            return "table"
        if self.layer == "marts":
            return "view"
        found = _MATERIALIZED.search(self.sql)
        return found.group(1) if found else "table"

    def module(self) -> ModuleType:
        spec = importlib.util.spec_from_file_location(f"hnplus_model_{self.layer}_{self.name}", self.path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def refs(self) -> set[tuple[str, str]]:
        if self.is_python:
            return {tuple(ref.split(".", 1)) for ref in self.module().DEPENDS_ON}  # type: ignore[misc]
        return {(m.group(1), m.group(2)) for m in _REF.finditer(_strip_comments(self.sql))}


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def discover(sql_dir: Path = SQL_DIR) -> list[Model]:
    """All models, topologically sorted (layer order first, then references within a layer)."""
    models: dict[tuple[str, str], Model] = {}
    for layer in LAYERS:
        for p in sorted([*(sql_dir / layer).glob("*.sql"), *(sql_dir / layer).glob("*.py")]):
            if (layer, p.stem) in models:
                raise ValueError(f"two models named {layer}.{p.stem}: {models[layer, p.stem].path.name} and {p.name}")
            models[layer, p.stem] = Model(layer, p.stem, p)
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


def create_macros(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> list[str]:
    """Create the shared formulas of ``sql/macros`` on this connection (temporary: models inline them)."""
    names = []
    for path in sorted((sql_dir / "macros").glob("*.sql")):
        try:
            con.execute(path.read_text(encoding="utf-8"))
        except duckdb.Error as exc:
            raise RuntimeError(f"macro file macros/{path.name} failed: {exc}") from exc
        names.append(path.stem)
    return names


def _materialise(con: duckdb.DuckDBPyConnection, model: Model, schema: str, options: Mapping[str, str]) -> None:
    if model.is_python:
        result = model.module().model(con, options)
        if isinstance(result, Increment):  # part of the table recomputed: replace those rows only
            rows = result.rows  # noqa: F841 (read by DuckDB's replacement scan)
            con.execute(f"delete from {schema}.{model.name} where {result.delete_where}", result.params)
            if len(rows):  # type: ignore[arg-type]
                con.execute(f"insert into {schema}.{model.name} by name select * from rows")
            return
        con.execute(f"create or replace table {schema}.{model.name} as select * from result")
        return
    sql = model.sql
    if model.layer == "marts":
        sql = _REF.sub(lambda m: f"{CANDIDATE_SCHEMA}.{m.group(2)}" if m.group(1) == "marts" else m.group(0), sql)
    kind = model.materialized
    other = "table" if kind == "view" else "view"
    existing = con.execute("select 'table' from duckdb_tables() where schema_name = ? and table_name = ? union all "
                           "select 'view' from duckdb_views() where schema_name = ? and view_name = ?",
                           [schema, model.name, schema, model.name]).fetchall()
    if (other,) in existing:  # the model changed kind since the last build (create or replace keeps the kind)
        con.execute(f"drop {other} {schema}.{model.name} cascade")
    con.execute(f"create or replace {kind} {schema}.{model.name} as\n{sql}")


def run_models(
    con: duckdb.DuckDBPyConnection,
    sql_dir: Path = SQL_DIR,
    layers: tuple[str, ...] = LAYERS,
    options: Mapping[str, str] | None = None,
    stats: dict | None = None,
) -> dict[str, float]:
    """Materialise every model of ``layers`` (marts into the candidate schema). Returns seconds per model.

    ``options`` override scoring parameters for Python models (tests run the Monte Carlo with fewer draws);
    ``stats`` receives what the score models report of their work (periods computed and reused)."""
    timings: dict[str, float] = {}
    cache: dict = {}
    token = _RUN_CACHE.set(cache)
    try:
        _run_all(con, sql_dir, layers, options or {}, timings)
    finally:
        _RUN_CACHE.reset(token)
        if stats is not None:
            stats.update(cache.get("score_reuse", {}))
            if "sql" in cache:
                stats["sql"] = cache["sql"]
    return timings


def _run_all(con: duckdb.DuckDBPyConnection, sql_dir: Path, layers: tuple[str, ...], options: Mapping[str, str],
             timings: dict[str, float]) -> None:
    from transforms.build import increment, reuse

    create_macros(con, sql_dir)
    for schema in ("staging", "intermediate", CANDIDATE_SCHEMA):
        con.execute(f"create schema if not exists {schema}")
    models = [m for m in discover(sql_dir) if m.layer in layers]
    last_python = max((i for i, m in enumerate(models) if m.is_python), default=-1)
    first_python = min((i for i, m in enumerate(models) if m.is_python), default=-1)
    limit = None
    # the incremental SQL build (transforms/build/increment.py): only a run of the intermediate layer keeps state
    tracker = increment.Tracker.start(con, sql_dir, reuse.REUSE) if "intermediate" in layers else None
    shared = increment.shared_models(models)
    cache = _RUN_CACHE.get()
    if tracker is not None and cache is not None:
        # what a Python model may recompute alone (int_coherence_audit): the incremental periods, None = all
        cache["incremental_periods"] = lambda: tracker.incremental_periods(con) if tracker.plan else None
    for i, model in enumerate(models):
        schema = CANDIDATE_SCHEMA if model.layer == "marts" else model.layer
        if tracker is not None and model.layer != "staging" and not tracker.staged:
            tracker.after_staging(con)
        t0 = time.perf_counter()
        if i == first_python:
            limit = _lend_memory(con)
        try:
            if not _materialise_incremental(con, model, tracker):
                _materialise(con, model, schema, options)
        except duckdb.Error as exc:
            raise RuntimeError(f"model {model.layer}/{model.path.name} failed: {exc}") from exc
        if tracker is not None and f"{model.layer}.{model.name}" in shared:
            tracker.track(con, f"{model.layer}.{model.name}")
        if i == last_python:
            _drop_shared_arrays()
            con.execute("set memory_limit = $limit", {"limit": limit})
        timings[f"{model.layer}.{model.name}"] = round(time.perf_counter() - t0, 4)
    if tracker is not None:
        cache = cache if cache is not None else {}
        scored = {p for s in cache.get("score_reuse", {}).values() for p in s.get("computed_periods", ())}
        cache["sql"] = tracker.finish(con, scored)


def _materialise_incremental(con: duckdb.DuckDBPyConnection, model: Model, tracker: object) -> bool:
    """Recompute only the planned periods of an incremental model (``-- incremental: period``); False when the
    model is built in full (not incremental, no plan, or no previous table)."""
    from transforms.build import increment

    if tracker is None or model.layer != "intermediate" or model.is_python or not increment.is_incremental(model.sql):
        return False
    assert isinstance(tracker, increment.Tracker)
    periods = tracker.incremental_periods(con)
    table = f"intermediate.{model.name}"
    if periods is None or not con.execute("select 1 from duckdb_tables() where schema_name = 'intermediate' and "
                                          "table_name = ?", [model.name]).fetchall():
        return False
    if periods:
        before = tracker.period_hashes(con, table, model.sql)  # the first incremental model's rows, to narrow by
        for statement in tracker.scoped_statements(model.sql, table, periods):
            con.execute(statement)
        if before is not None:
            tracker.narrow(con, table, model.sql, before)
    return True


PYTHON_MODELS_DUCKDB_MEMORY = 2**30
_UNITS = {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}


def _lend_memory(con: duckdb.DuckDBPyConnection) -> str:
    """Lower DuckDB's memory limit to 1 GiB while the Python models run (returns the old one, to set back after
    them): DuckDB keeps the table pages the SQL models read cached up to its limit, and the score step's numpy
    arrays (about a GiB per basis at county scale) would be held beside them. A lower limit evicts them (they are on
    disk); the Python models' own queries stream and fit. A limit already below 1 GiB is left as it is."""
    old = con.execute("select current_setting('memory_limit')").fetchone()[0]
    number, _, unit = str(old).partition(" ")
    try:
        current = float(number) * _UNITS[unit]
    except (KeyError, ValueError):
        return old
    if current > PYTHON_MODELS_DUCKDB_MEMORY:
        con.execute("set memory_limit = $limit", {"limit": f"{PYTHON_MODELS_DUCKDB_MEMORY}B"})
    return old


def _drop_shared_arrays() -> None:
    """After the last Python model nothing reads what they shared (the score step's dense inputs, ~1 GiB at county
    scale, both bases): drop it before the marts run, and give the memory back (only the reuse stats stay)."""
    cache = _RUN_CACHE.get()
    if cache is not None:
        for key in [k for k in cache if k not in ("score_reuse", "incremental_periods")]:
            del cache[key]
    gc.collect()
    release_freed_memory()
