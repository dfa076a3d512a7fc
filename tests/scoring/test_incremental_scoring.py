"""Incremental scoring (issue 20): a build after a few changed reports computes the rank intervals and the
sensitivity indices only for the periods whose inputs moved, and publishes exactly what a full rebuild publishes.

The premise (reuse.period_fingerprints): a period's intervals and indices depend only on that period's rows
of the score tables and on what every period shares (parameters, catalogue, weights, code). The proof here:
random sequences of changes to the sample's reports (a figure corrected, a value withdrawn, a status changed, in
early and late periods, one change or several per night), each built incrementally and then rebuilt in full, and
every column of every candidate mart, and of the two score tables, compared row for row.
"""

from __future__ import annotations

import hashlib

import duckdb
import numpy as np
import pytest
from scoring_helpers import build_sample_warehouse

from transforms.build import build_models, increment, promote_candidate, reuse, scoreinputs

# few draws and base samples: the rule under test does not depend on their number, the test's time does
OPTIONS = {"mc_draws": "60", "sa_base_samples": "8"}
SCORE_TABLES = ("intermediate.int_rank_uncertainty", "intermediate.int_rank_sensitivity")


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    marts = [f"marts_candidate.{t}" for (t,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts_candidate' order by 1"
    ).fetchall()]  # the candidate marts are views: information_schema lists them, duckdb_tables() would not
    assert len(marts) >= 9, marts
    return [*marts, *SCORE_TABLES]


def _snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    names = {}
    for i, table in enumerate(_tables(con)):
        names[table] = f"snap_{i}"
        con.execute(f"create or replace temp table snap_{i} as select * from {table}")
    return names


def _differences(con: duckdb.DuckDBPyConnection, snapshot: dict[str, str]) -> dict[str, tuple[int, int, int]]:
    """Per table (rows only in the snapshot, rows only in the table now, row count now) where they differ."""
    out = {}
    for table, snap in snapshot.items():
        a = con.execute(f"select count(*) from (select * from {snap} except all select * from {table})").fetchone()[0]
        b = con.execute(f"select count(*) from (select * from {table} except all select * from {snap})").fetchone()[0]
        if a or b:
            out[table] = (a, b, con.execute(f"select count(*) from {table}").fetchone()[0])
    return out


def _build(con: duckdb.DuckDBPyConnection, on: bool) -> dict:
    stats: dict = {}
    old, reuse.REUSE = reuse.REUSE, on
    try:
        build_models(con, options=OPTIONS, stats=stats)
    finally:
        reuse.REUSE = old
    return stats


def _change(con: duckdb.DuckDBPyConnection, rng: np.random.Generator, late: bool = False) -> str:
    """One random resubmission: a quantity corrected, a quantity withdrawn, or a status item moved a step, in any
    period or (``late``) in one after 2018Q4, the periods an incremental SQL build can recompute alone.
    Returns the period it touched."""
    periods = [p for (p,) in con.execute("select distinct period from raw.report_rows where period > ? order by 1",
                                         ["2018Q4" if late else ""]).fetchall()]
    period = periods[int(rng.integers(len(periods)))]
    kind = ("correct", "withdraw", "status")[int(rng.integers(3))]
    if kind == "status":
        row = con.execute(
            "select file_id, sheet, row_number from raw.report_rows where period = ? and status_step is not null "
            "order by file_id, sheet, row_number", [period]).fetchall()
        if row:
            f, s, n = row[int(rng.integers(len(row)))]
            con.execute("update raw.report_rows set status_step = case status_step when '已完成' then '推进中' "
                        "else '已完成' end where file_id = ? and sheet = ? and row_number = ?", [f, s, n])
            return period
    rows = con.execute(
        "select file_id, sheet, row_number, value from raw.report_rows where period = ? and value is not null "
        "and kind = 'quantity' order by file_id, sheet, row_number", [period]).fetchall()
    f, s, n, v = rows[int(rng.integers(len(rows)))]
    if kind == "withdraw":
        con.execute("update raw.report_rows set value = null, value_text = '', value_status = 'blank' "
                    "where file_id = ? and sheet = ? and row_number = ?", [f, s, n])
    else:
        new = float(v) * float(rng.uniform(0.5, 1.5)) + 1.0
        new = float(round(new)) if float(v).is_integer() else round(new, 2)
        con.execute("update raw.report_rows set value = ?, value_text = ? "
                    "where file_id = ? and sheet = ? and row_number = ?", [new, str(new), f, s, n])
    return period


def _gap(con: duckdb.DuckDBPyConnection, rng: np.random.Generator) -> tuple:
    """Withdraw one late cell's values in two consecutive periods (they are then carried forward from the period
    before): returns the cell (file_id, sheet, row_number, value) of that period before, the one ``_correct`` moves
    on a later night, so that a change of one period reaches the two after it."""
    cells = con.execute(
        "with q as (select period, city_code, indicator_code, file_id, sheet, row_number, value from raw.report_rows "
        "where period > '2018Q4' and kind = 'quantity' and value is not null) "
        "select a.file_id, a.sheet, a.row_number, a.value, b.file_id, b.sheet, b.row_number, c.file_id, c.sheet, "
        "c.row_number from q as a join q as b on a.city_code = b.city_code and a.indicator_code = b.indicator_code "
        "and b.period = (select min(period) from q where period > a.period) join q as c on a.city_code = c.city_code "
        "and a.indicator_code = c.indicator_code and c.period = (select min(period) from q where period > b.period) "
        "order by a.period, a.city_code, a.indicator_code").fetchall()
    cell = cells[int(rng.integers(len(cells)))]
    for f, sh, n in (cell[4:7], cell[7:10]):
        con.execute("update raw.report_rows set value = null, value_text = '', value_status = 'blank' "
                    "where file_id = ? and sheet = ? and row_number = ?", [f, sh, n])
    return cell[:4]


def _correct(con: duckdb.DuckDBPyConnection, cell: tuple) -> None:
    f, sh, n, v = cell
    new = float(v) * 1.37 + 1.0
    con.execute("update raw.report_rows set value = ?, value_text = ? where file_id = ? and sheet = ? and "
                "row_number = ?", [new, str(new), f, sh, n])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    con, _ = build_sample_warehouse(tmp_path_factory.mktemp("incremental") / "sample.duckdb")
    _build(con, on=False)  # every period computed with the test's options: the starting point
    yield con
    con.close()


def test_fingerprints_move_only_with_their_period(warehouse: duckdb.DuckDBPyConnection) -> None:
    """The fingerprints come from the score tables' rows, hashed in SQL: one score moved moves its period's
    fingerprint alone, and an option moves every period's. The arrays are never read for it."""
    meta = scoreinputs.inputs(warehouse, OPTIONS, periods=())
    assert meta.periods == [] and meta.obs.shape[0] == 0 and len(meta.all_periods) > 2
    before = reuse.period_fingerprints(meta, scoreinputs.row_hashes(warehouse))
    assert len(set(before.values())) == len(before) == len(meta.all_periods), "every period has its own fingerprint"
    p = meta.all_periods[len(meta.all_periods) // 2]
    city, code, score = warehouse.execute(
        "select city_code, indicator_code, observed_score from intermediate.int_indicator_scores where period = ? "
        "and is_scored and observed_score is not null order by city_code, indicator_code limit 1", [p]).fetchone()
    where = "where period = ? and city_code = ? and indicator_code = ?"
    warehouse.execute(f"update intermediate.int_indicator_scores set observed_score = ? {where}",
                      [score + 1.0, p, city, code])
    try:
        after = reuse.period_fingerprints(meta, scoreinputs.row_hashes(warehouse))
    finally:
        warehouse.execute(f"update intermediate.int_indicator_scores set observed_score = ? {where}",
                          [score, p, city, code])
    assert [q for q in before if before[q] != after[q]] == [p]
    assert reuse.period_fingerprints(meta, scoreinputs.row_hashes(warehouse)) == before
    moved = reuse.period_fingerprints(meta, scoreinputs.row_hashes(warehouse), {"mc_draws": 61})
    assert all(moved[q] != before[q] for q in before), "an option moves every period"


@pytest.mark.parametrize(("seed", "late"), [(7, False), (2020, False), (11, True), (12, True)])
def test_incremental_builds_equal_full_rebuilds(warehouse: duckdb.DuckDBPyConnection, seed: int, late: bool) -> None:
    """Random nights of changes; on the late ones the SQL models too are built incrementally (and must be)."""
    rng = np.random.default_rng(seed)
    reused_any = sql_incremental = narrowed = False
    gap = None
    for night in range(3 if late else 2):
        touched = sorted({_change(warehouse, rng, late) for _ in range(int(rng.integers(1, 4)))})
        if late and night == 0:
            gap = _gap(warehouse, rng)  # two periods withdrawn: carried forward from the period before
        elif late and night == 1:
            _correct(warehouse, gap)  # that period corrected alone: the carried values after it move too
        stats = _build(warehouse, on=True)
        sql = stats.pop("sql")
        if late:
            assert sql["mode"] == "incremental" and set(touched) <= set(sql["periods"]), (touched, sql)
            # the carry-forward reach narrowed to the periods whose values moved (Tracker.narrow)
            assert set(sql["periods"]) <= set(sql["planned"]), sql
            narrowed |= len(sql["periods"]) < len(sql["planned"])
        sql_incremental |= sql["mode"] == "incremental"
        periods = stats["int_rank_uncertainty"]["periods"]
        for model, s in stats.items():
            assert s["periods"] == periods and 0 <= s["computed"] <= periods, (model, s)  # 0: scores unmoved
        reused_any |= stats["int_rank_uncertainty"]["computed"] < periods
        snapshot = _snapshot(warehouse)
        full = _build(warehouse, on=False)
        assert full.pop("sql")["mode"] == "full"
        assert all(s["computed"] == s["periods"] for s in full.values()), full
        assert _differences(warehouse, snapshot) == {}, (night, touched, stats)
    assert reused_any, "no night reused a period: the test would not test the reuse"
    assert sql_incremental or not late, "no night built the SQL models incrementally"
    assert narrowed or not late, "no night narrowed the periods: the test would not test the narrowing"


def test_a_change_at_the_anchor_rebuilds_every_period(warehouse: duckdb.DuckDBPyConnection) -> None:
    """2018Q4 is every later period's anchor (progress toward 2025 starts from it): a status item moved there, which
    moves neither goalposts nor targets, still changes the later periods' progress, so the build is full."""
    row = warehouse.execute("select file_id, sheet, row_number from raw.report_rows where period = '2018Q4' and "
                            "status_step is not null order by file_id, sheet, row_number limit 1").fetchone()
    warehouse.execute("update raw.report_rows set status_step = case status_step when '已完成' then '推进中' "
                      "else '已完成' end where file_id = ? and sheet = ? and row_number = ?", list(row))
    stats = _build(warehouse, on=True)
    assert stats["sql"]["mode"] == "full" and "2018Q4" in stats["sql"]["reason"], stats["sql"]
    snapshot = _snapshot(warehouse)
    _build(warehouse, on=False)
    assert _differences(warehouse, snapshot) == {}


def test_a_stale_fingerprint_is_not_reused(warehouse: duckdb.DuckDBPyConnection) -> None:
    """The rule is not vacuous: rows whose fingerprint no longer matches are computed again, and rows whose
    fingerprint matches are taken as they are (here: tampered ranks survive, which is why only the build writes
    these tables)."""
    _build(warehouse, on=False)
    warehouse.execute("update intermediate.int_rank_uncertainty set inputs_fingerprint = 'stale' "
                      "where period = (select min(period) from intermediate.int_rank_uncertainty)")
    stats = _build(warehouse, on=True)
    assert stats["int_rank_uncertainty"]["computed"] == 1
    warehouse.execute("update intermediate.int_rank_uncertainty set median_rank = 99 "
                      "where period = (select max(period) from intermediate.int_rank_uncertainty)")
    _build(warehouse, on=True)
    assert warehouse.execute("select min(median_rank) from intermediate.int_rank_uncertainty where period = "
                             "(select max(period) from intermediate.int_rank_uncertainty)").fetchone()[0] == 99
    _build(warehouse, on=False)  # leave a computed warehouse behind


def _marts(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    names = {}
    for i, (table,) in enumerate(con.execute("select table_name from duckdb_tables() where schema_name = 'marts' "
                                             "order by 1").fetchall()):
        names[f"marts.{table}"] = f"published_{i}"
        con.execute(f"create or replace temp table published_{i} as select * from marts.{table}")
    return names


def test_incremental_promotion_equals_a_full_one(warehouse: duckdb.DuckDBPyConnection) -> None:
    """Promotion rewrites only the periods the builds since the last promotion changed: two incremental builds (the
    first one's audit 'failed', so it was never promoted), one promotion, and the published marts are those of a full
    build promoted in full."""
    rng = np.random.default_rng(5)
    _build(warehouse, on=False)
    promote_candidate(warehouse)
    periods = set()
    for _ in range(2):
        _change(warehouse, rng, late=True)
        sql = _build(warehouse, on=True)["sql"]
        assert sql["mode"] == "incremental", sql
        periods |= set(sql["periods"])
    touched = warehouse.execute("select count(*) from marts.indicator_scores where period in (select unnest(?))",
                                [sorted(periods)]).fetchone()[0]
    scope = increment.promotion_scope(warehouse)
    cities = warehouse.execute("select count(*) from intermediate.int_cities").fetchone()[0]
    assert scope.periods == sorted(periods) and 0 < len(scope.cities) < cities, scope  # the changed cities only
    promote_candidate(warehouse)
    snapshot = _marts(warehouse)
    assert len(snapshot) >= 9
    _build(warehouse, on=False)
    promote_candidate(warehouse)
    assert _differences(warehouse, snapshot) == {}
    assert 0 < touched < warehouse.execute("select count(*) from marts.indicator_scores").fetchone()[0]


def test_a_new_quarters_first_report_gives_every_city_its_rows(warehouse: duckdb.DuckDBPyConnection) -> None:
    """The night a new quarter's first report arrives, the quarter is new to every city: the others' values are
    carried into it and every rank there is new. So the city-level models redo every city in that quarter, not only
    the reporting one, and promotion writes every city's rows of it (the build logs no cities). Compared, built and
    promoted, with a full rebuild promoted in full. Before the fix, 1,683 rows of indicator_scores were missing."""
    _build(warehouse, on=False)
    promote_candidate(warehouse)
    last = warehouse.execute("select max(period) from raw.report_rows").fetchone()[0]
    new_period = f"{int(last[:4]) + int(last[5]) // 4}Q{int(last[5]) % 4 + 1}"
    f = warehouse.execute("select file_id from raw.report_files where period = ? and status = 'accepted' "
                          "order by file_id limit 1", [last]).fetchone()[0]
    new_id = hashlib.sha256(f"{f} resubmitted for {new_period}".encode()).hexdigest()
    for table in ("raw.report_files", "raw.report_rows"):
        warehouse.execute(f"insert into {table} select * replace (? as file_id, ? as period) from {table} "
                          "where file_id = ?", [new_id, new_period, f])
    sql = _build(warehouse, on=True)["sql"]
    assert sql["mode"] == "incremental" and sql["periods"] == [new_period] and sql["cities"] is None, sql
    snapshot = _snapshot(warehouse)
    promote_candidate(warehouse)
    published = _marts(warehouse)
    full = _build(warehouse, on=False)
    assert full["sql"]["mode"] == "full"
    assert _differences(warehouse, snapshot) == {}
    promote_candidate(warehouse)
    assert _differences(warehouse, published) == {}
    cities = warehouse.execute("select count(distinct city_code) from marts.indicator_scores where period = ?",
                               [new_period]).fetchone()[0]
    assert cities == warehouse.execute("select count(*) from intermediate.int_cities").fetchone()[0] > 1
