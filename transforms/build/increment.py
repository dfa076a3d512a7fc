"""Incremental SQL builds: after a night with a few changed reports, the period-keyed intermediate models recompute
only the periods those reports can change, and promotion rewrites only those periods of the marts.

A model opts in with the header line ``-- incremental: period`` (its rows are keyed by ``period``) or
``-- incremental: period, city`` (a city's rows depend on that city's inputs only). The build fingerprints its
inputs (``Tracker``): the staged report rows per (period, city), every other staging table whole, the SQL and the
build code (the Python model bodies among it); and, as they are rebuilt, the content of every other intermediate SQL
model an incremental one reads (per period where it has one). A build is incremental only when all of these match
the previous build's except the report rows of some periods and cities, all after the cutoff (the last period any
cross-period rule reads: the anchors, the baseline search, the goalpost reference window). The periods rebuilt are
then, for each changed period c, the periods from c to c + carry_forward_quarters (the carry-forward) and the next
one after them (the rank change and the score change read the previous period). An incremental model is computed on
those periods only, a city-level one on the changed cities only (``delete`` + ``insert``), reading the period-keyed
tables of ``BY_PERIOD`` restricted to what those periods read. If a rebuilt shared model (the targets, the
goalposts, the periods) changes anywhere else, the models after it are built in full.
tests/scoring/test_incremental_scoring.py compares incremental builds with full rebuilds after random sequences of
changes, every column of every candidate mart.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from transforms.core.periods import is_period

# ``-- incremental: period`` (rows keyed by period: the planned periods are recomputed for every city) or
# ``-- incremental: period, city`` (a city's rows depend on that city's inputs only: the changed cities' rows of the
# planned periods are recomputed)
INCREMENTAL = re.compile(r"^--\s*incremental:\s*period(,\s*city)?\s*$", re.M)
STATE = "meta.build_state"
LOG = "meta.build_log"
PROMOTED = "meta.promoted_build"
# What an incremental model reads by period: for a period p only the rows of p, of the carry-forward window before
# it, of the previous period and of the anchor and baseline periods (so each is read through a temp view of those
# periods, ``Plan.inputs``). Not the feeds: a feed value stays in force until the next one (an as-of join), however
# far back; and int_city_targets, which takes a city's first declared target over every period, is not incremental.
BY_PERIOD = ("intermediate.int_periods", "staging.stg_report_values", "intermediate.int_indicator_values",
             "intermediate.int_indicator_scores", "intermediate.int_special_scores", "intermediate.int_scope_scores")
_BY_PERIOD_REF = re.compile(r"\b(" + "|".join(re.escape(t) for t in BY_PERIOD) + r")\b")
# staging tables fingerprinted per period (the rest whole): a report row lands in its own period; the file table is
# covered by the join (a file's name and id enter the rows' fingerprint), so a new file does not move every period
_REPORT_ROWS = """
    select v.period, v.city_code, count(*) as n, sum(hash(v, f.file_id, f.original_name))::varchar as h
    from staging.stg_report_values as v
    left join staging.stg_report_files as f on v.file_key = f.file_key
    group by v.period, v.city_code
"""
# the build code the SQL models' results depend on, with coherence.py: the body of int_coherence_audit, which keeps
# the rows of the periods it does not recompute (the score models fingerprint their own code: reuse.py)
_CODE_FILES = ("increment.py", "models.py", "coherence.py")


def period_index(period: str) -> int:
    """2018Q4 -> 2018 * 4 + 4, as int_periods numbers periods."""
    return int(period[:4]) * 4 + int(period[5])


def _table_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """key -> fingerprint of ``table``'s content: per period when it has a ``period`` column, else one key."""
    cols = {c for (c,) in con.execute(
        "select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
        table.split(".", 1)).fetchall()}
    if "period" in cols:
        rows = con.execute(f"select period, count(*), sum(hash(t))::varchar from {table} as t group by period"
                           ).fetchall()
        return {f"{table}|{p}": f"{n}:{h}" for p, n, h in rows}
    return {table: _whole_fingerprint(con, table)}


def _whole_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """Row count and an order-free hash of every row of ``table``."""
    n, h = con.execute(f"select count(*), sum(hash(t))::varchar from {table} as t").fetchone()
    return f"{n}:{h}"


def _code_fingerprint(sql_dir: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(sql_dir.rglob("*")):
        if path.is_file() and path.suffix in (".sql", ".py"):
            h.update(path.relative_to(sql_dir).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    here = Path(__file__).parent
    for name in _CODE_FILES:
        h.update((here / name).read_bytes())
    h.update(duckdb.__version__.encode())
    return h.hexdigest()[:32]


@dataclass(frozen=True)
class Increment:
    """What a Python model returns when it recomputed part of its table: the runner deletes the rows matching
    ``delete_where`` (SQL over the table's own columns, values as ``params``) and inserts ``rows`` by name, so the
    kept rows are neither read back nor written again, and keep their types."""

    rows: object  # a DataFrame or an Arrow table
    delete_where: str
    params: dict = field(default_factory=dict)


@dataclass
class Plan:
    """The periods an incremental build recomputes (None: every period), and why."""

    periods: tuple[str, ...] | None
    reason: str
    inputs: tuple[str, ...] = ()  # the periods they read: the carry-forward window, the anchors, the baseline
    # the cities whose reports changed (what ``-- incremental: period, city`` redoes); None: every city, when a shared
    # model moved inside the periods (a new quarter's first report adds the period: every city gets its rows there)
    cities: tuple[str, ...] | None = ()
    changed: tuple[str, ...] = ()  # the periods whose reports changed
    planned: tuple[str, ...] | None = None  # the periods before ``Tracker.narrow``
    quarters: tuple[str, ...] = ()  # every period of int_periods, in order


@dataclass
class Tracker:
    """The fingerprints of one build's inputs, compared with the previous build's (``STATE``)."""

    previous: dict[str, str]
    current: dict[str, str] = field(default_factory=dict)
    plan: Plan | None = None
    tracked: list[str] = field(default_factory=list)
    staged: bool = False  # the staged inputs are fingerprinted (after the staging models, before the others)
    demoted: str | None = None  # why the build went full part-way (a shared model changed)
    narrowed: bool = False  # the periods were narrowed to those the first incremental model's rows moved in

    @classmethod
    def start(cls, con: duckdb.DuckDBPyConnection, sql_dir: Path, enabled: bool) -> Tracker:
        """Read and clear the previous build's state: a build that fails part-way leaves none, so the next is full."""
        con.execute("create schema if not exists meta")
        con.execute(f"create table if not exists {STATE} (key varchar, fingerprint varchar)")
        previous = dict(con.execute(f"select key, fingerprint from {STATE}").fetchall()) if enabled else {}
        con.execute(f"delete from {STATE}")
        tracker = cls(previous)
        tracker.current["code"] = _code_fingerprint(sql_dir)
        return tracker

    def after_staging(self, con: duckdb.DuckDBPyConnection) -> None:
        """Fingerprint the staged inputs: the report rows per period, every other staging table whole."""
        self.staged = True
        staged = {t for (t,) in con.execute("select table_name from duckdb_tables() where schema_name = 'staging'"
                                            ).fetchall()}
        reports = {"stg_report_values", "stg_report_files"}
        if reports <= staged:  # (a test's tiny model tree may have neither)
            self._unique_file_keys(con)
            for period, city, n, h in con.execute(_REPORT_ROWS).fetchall():
                self.current[f"reports|{period}|{city}"] = f"{n}:{h}"
        for table in sorted(staged - reports):
            self.current[f"staging.{table}"] = _whole_fingerprint(con, f"staging.{table}")

    @staticmethod
    def _unique_file_keys(con: duckdb.DuckDBPyConnection) -> None:
        dup = con.execute("select file_key, list(file_id) from staging.stg_report_files group by file_key "
                          "having count(*) > 1 limit 1").fetchall()
        if dup:
            raise RuntimeError(f"two report files share file_key {dup[0][0]} (the first 60 bits of their SHA-256): "
                               f"{dup[0][1]}; staging.stg_report_files needs a longer key")

    def track(self, con: duckdb.DuckDBPyConnection, table: str) -> None:
        """Fingerprint a rebuilt shared model (one an incremental model reads); once the plan is made, a model that
        moved outside the recomputed periods sends the rest of the build to full."""
        self.current.update(_table_fingerprint(con, table))
        self.tracked.append(table)
        self._check_tracked()

    def _check_tracked(self) -> None:
        if self.plan is None or self.plan.periods is None or self.demoted:
            return
        keep = set(self.plan.periods)
        for table in self.tracked:
            keys = {k for d in (self.previous, self.current) for k in d if k == table or k.startswith(f"{table}|")}
            moved = sorted(k for k in keys if self.previous.get(k) != self.current.get(k))
            outside = [k for k in moved if k.split("|")[-1] not in keep]
            if outside:
                self.demoted = f"{outside[0]} changed outside the recomputed periods"
                return
            if moved:  # inside them: every city's rows of those periods read it, not only the changed cities'
                self.plan.cities = None

    def incremental_periods(self, con: duckdb.DuckDBPyConnection) -> tuple[str, ...] | None:
        """The periods the next incremental model recomputes, None for all (planned at the first one)."""
        if self.plan is None:
            self.plan = self._plan(con)
            self._check_tracked()
        if self.demoted or self.plan.periods is None:
            return None
        return self.plan.periods

    def _plan(self, con: duckdb.DuckDBPyConnection) -> Plan:
        prev, cur = self.previous, self.current
        if not prev:
            return Plan(None, "no previous build state")
        inputs = sorted(k for k in set(prev) | set(cur) if k == "code" or k.startswith("staging."))
        moved = [k for k in inputs if prev.get(k) != cur.get(k)]
        if moved:
            return Plan(None, f"{moved[0]} changed")
        before = {k.split("|")[1] for k in prev if k.startswith("reports|")}
        after = {k.split("|")[1] for k in cur if k.startswith("reports|")}
        if not before <= after or any(p < max(before, default="") for p in after - before):
            return Plan(None, "a period was withdrawn, or one was added before the last one")
        cells = {k for k in set(prev) | set(cur) if k.startswith("reports|") and prev.get(k) != cur.get(k)}
        plan = self._periods_for(con, sorted({k.split("|")[1] for k in cells}))
        plan.cities = tuple(sorted({k.split("|")[2] for k in cells}))
        return plan

    def _periods_for(self, con: duckdb.DuckDBPyConnection, changed: list[str]) -> Plan:
        """The periods that ``changed`` can move, or a full plan if one of them is read across periods."""
        periods = [p for (p,) in con.execute("select period from intermediate.int_periods order by period").fetchall()]
        params = con.execute("select carry_forward_quarters, baseline_period, baseline_search_quarters, "
                             "goalpost_reference_to from intermediate.int_scoring_parameters").fetchone()
        carry, baseline, search, goalposts = int(params[0]), params[1], int(params[2]), params[3]
        anchor = con.execute("select max(anchor_index) from intermediate.int_periods").fetchone()[0] or 0
        cutoff = max(period_index(baseline) + search, period_index(goalposts), anchor)
        # nothing at or before the cutoff may change: every later period reads the anchors, and the baseline search
        # and the goalpost window read every city's values up to it
        if not all(is_period(p) for p in [*periods, *changed]):
            return Plan(None, "a period that is not a quarter")
        early = [p for p in changed if period_index(p) <= cutoff]
        if early:
            return Plan(None, f"{early[0]} is read by every period (anchor, baseline or goalposts)")
        index = {p: period_index(p) for p in periods}
        todo: set[str] = set()
        for c in changed:
            reach = [p for p in periods if index[p] >= period_index(c) and index[p] <= period_index(c) + carry]
            later = [p for p in periods if reach and index[p] > index[reach[-1]]]
            todo.update(reach + later[:1])
        if not todo:
            return Plan((), "no report changed")
        first = min(todo)
        before = [p for p in periods if p < first]
        reads_from = min(index[first] - carry, index[before[-1]] if before else index[first])
        fixed = {p for (p,) in con.execute("select anchor_period from intermediate.int_periods union "
                                           "select baseline_period from intermediate.int_scoring_parameters"
                                           ).fetchall()}
        inputs = {p for p in periods if reads_from <= index[p] <= index[max(todo)]} | fixed
        return Plan(tuple(sorted(todo)), f"reports changed in {', '.join(changed)}", tuple(sorted(inputs)),
                    changed=tuple(changed), quarters=tuple(periods))

    def period_hashes(self, con: duckdb.DuckDBPyConnection, table: str, sql: str) -> dict[str, str] | None:
        """Before ``narrow``: the planned periods' hashes of the first incremental model's rows (of the changed
        cities only, for a city-level model); None once narrowed, or when there is nothing to narrow."""
        if self.narrowed or self.demoted or self.plan is None or not self.plan.periods:
            return None
        where = f"period in ({sql_list(self.plan.periods)})"
        if by_city_model(sql) and self.plan.cities is not None:
            where += f" and city_code in ({sql_list(self.plan.cities)})"
        return {p: f"{n}:{h}" for p, n, h in con.execute(
            f"select period, count(*), sum(hash(t))::varchar from {table} as t where {where} group by period"
        ).fetchall()}

    def narrow(self, con: duckdb.DuckDBPyConnection, table: str, sql: str, before: dict[str, str]) -> None:
        """After the first incremental model: keep the periods whose reports changed or whose rows of that model
        moved (a corrected value carried into the next quarters moves them; one that no later quarter carries does
        not), each with the period after it (which reads its predecessor). The later models read that model, the
        shared ones and the report rows of the changed periods, so outside these periods their inputs are the same.
        A tracked shared model that moved outside them sends the rest of the build to full (``_check_tracked``)."""
        plan = self.plan
        assert plan is not None and plan.periods is not None
        after = self.period_hashes(con, table, sql)
        self.narrowed = True
        moved = {p for p in plan.periods if before.get(p) != (after or {}).get(p)} | set(plan.changed)
        following = {a: b for a, b in zip(plan.quarters, plan.quarters[1:], strict=False)}
        keep = moved | {following[p] for p in moved if p in following}
        plan.planned, plan.periods = plan.periods, tuple(p for p in plan.periods if p in keep)
        self._check_tracked()

    def scoped_statements(self, model_sql: str, table: str, periods: tuple[str, ...]) -> list[str]:
        """delete + insert of ``periods`` of ``table`` (and of the changed cities only, for a model marked
        ``-- incremental: period, city``); the model reads each table of ``BY_PERIOD`` through a temp view of the
        periods (and cities) those read (``Plan.inputs``)."""
        assert self.plan is not None
        by_city = by_city_model(model_sql)
        where = f"period in ({sql_list(periods)})"  # quarters only (is_period) and city codes: safe to inline
        if by_city and self.plan.cities is not None:
            where += f" and city_code in ({sql_list(self.plan.cities)})"
        used = sorted(set(_BY_PERIOD_REF.findall(model_sql)))
        views = []
        for t in used:
            keep = f"period in ({sql_list(self.plan.inputs)})"
            if by_city and self.plan.cities is not None and t != "intermediate.int_periods":
                keep += f" and city_code in ({sql_list(self.plan.cities)})"
            views.append(f"create or replace temp view {_view_name(t)} as select * from {t} where {keep}")
        sql = _BY_PERIOD_REF.sub(lambda m: _view_name(m.group(1)), model_sql)
        return [*views, f"delete from {table} where {where}",
                f"insert into {table} select * from (\n{sql}\n) where {where}"]

    def finish(self, con: duckdb.DuckDBPyConnection, extra_periods: set[str]) -> dict:
        """Save this build's fingerprints and log which periods it changed (promotion reads the log)."""
        items = sorted(self.current.items())
        state = pa.table({"key": [k for k, _ in items], "fingerprint": [v for _, v in items]})  # noqa: F841
        con.execute(f"insert into {STATE} select key, fingerprint from state")  # (executemany: 5 s at L)
        con.execute(f"create table if not exists {LOG} (serial integer, mode varchar, periods varchar[], "
                    "reason varchar)")
        # the cities the city-level models redid (a log from before this column has none: its builds promote in full)
        con.execute(f"alter table {LOG} add column if not exists cities varchar[]")
        serial = con.execute(f"select coalesce(max(serial), 0) + 1 from {LOG}").fetchone()[0]
        plan = self.plan or Plan(None, "no incremental model")
        full = plan.periods is None or self.demoted is not None
        periods = None if full else sorted(set(plan.periods or ()) | extra_periods)
        cities = None if full or plan.cities is None else sorted(plan.cities)
        reason = self.demoted or plan.reason
        con.execute(f"insert into {LOG} (serial, mode, periods, reason, cities) values (?, ?, ?, ?, ?)",
                    [serial, "full" if full else "incremental", periods, reason, cities])
        con.execute(f"delete from {LOG} where serial < ? - 100", [serial])
        planned = None if full or plan.planned is None else list(plan.planned)
        return {"mode": "full" if full else "incremental", "periods": periods, "cities": cities, "reason": reason,
                "planned": planned}


def sql_list(codes: tuple[str, ...]) -> str:
    """Periods or city codes as an SQL list: only quarters and digits get here (checked), so inlining is safe."""
    assert all(is_period(c) or c.isdigit() for c in codes), codes
    return ", ".join(f"'{c}'" for c in codes) or "null"


def by_city_model(sql: str) -> bool:
    """Whether a model's rows of one city depend on that city's inputs only (``-- incremental: period, city``)."""
    found = INCREMENTAL.search(sql)
    return found is not None and found.group(1) is not None


def _view_name(table: str) -> str:
    return "hnplus_by_period_" + table.replace(".", "_")


def is_incremental(sql: str) -> bool:
    """Whether a model's SQL opts in (``-- incremental: period``)."""
    return INCREMENTAL.search(sql) is not None


def shared_models(models: list) -> set[str]:
    """The intermediate SQL models an incremental one reads that are not incremental themselves (the periods, the
    parameters, the targets, the goalposts): they are rebuilt in full and fingerprinted (``Tracker.track``)."""
    incremental = {m.name for m in models if m.layer == "intermediate" and not m.is_python and is_incremental(m.sql)}
    return {f"intermediate.{name}" for m in models if m.name in incremental
            for layer, name in m.refs() if layer == "intermediate" and name not in incremental}


@dataclass(frozen=True)
class Promotion:
    """What promotion rewrites: the newest build's serial, and the periods (None = every period) and the cities of
    the city-level marts (None = every city) that the builds since the promoted one changed."""

    serial: int | None
    periods: list[str] | None
    cities: list[str] | None


def promotion_scope(con: duckdb.DuckDBPyConnection) -> Promotion:
    """The periods, and for a mart marked ``-- incremental: period, city`` the cities, changed since the build the
    marts hold.

    Every build since the promoted one counts, not only the newest: a build whose audit failed was never promoted,
    and the next one is incremental against it. The cities are those whose reports changed: a city-level mart's rows
    of a period depend on that city's inputs only (the score step's periods change ranks, which no such mart holds)."""
    try:
        log = con.execute(f"select serial, mode, periods, cities from {LOG} order by serial").fetchall()
    except duckdb.BinderException:  # a log from before the cities column: promote those builds in full
        log = [(s, m, p, None) for s, m, p in con.execute(f"select serial, mode, periods from {LOG} order by serial"
                                                           ).fetchall()]
    except duckdb.CatalogException:
        return Promotion(None, None, None)
    if not log:
        return Promotion(None, None, None)
    try:
        promoted = con.execute(f"select max(serial) from {PROMOTED}").fetchone()[0]
    except duckdb.CatalogException:
        return Promotion(log[-1][0], None, None)
    since = [row for row in log if promoted is not None and row[0] > promoted]
    if promoted is None or not since or since[0][0] != promoted + 1 or any(row[1] != "incremental" for row in since):
        return Promotion(log[-1][0], None, None)
    periods = sorted({p for row in since for p in row[2]})
    cities = None if any(row[3] is None for row in since) else sorted({c for row in since for c in row[3]})
    return Promotion(log[-1][0], periods, cities)


def mark_promoted(con: duckdb.DuckDBPyConnection, serial: int | None) -> None:
    """Record which build the marts now hold."""
    con.execute(f"create table if not exists {PROMOTED} (serial integer)")
    con.execute(f"delete from {PROMOTED}")
    if serial is not None:
        con.execute(f"insert into {PROMOTED} values (?)", [serial])
