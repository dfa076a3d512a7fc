"""Incremental scoring (issue 20): a build after a few changed reports computes the rank intervals and the
sensitivity indices only for the periods whose inputs moved, and publishes exactly what a full rebuild publishes.

The premise (reuse.period_fingerprints): a period's intervals and indices depend only on that period's slice
of the dense score arrays and on what every period shares (parameters, catalogue, weights, code). The proof here:
random sequences of changes to the sample's reports (a figure corrected, a value withdrawn, a status changed, in
early and late periods, one change or several per night), each built incrementally and then rebuilt in full, and
every column of every candidate mart, and of the two score tables, compared row for row.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from scoring_helpers import build_sample_warehouse

from transforms.build import build_models, reuse
from transforms.build import montecarlo as mc

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


def _change(con: duckdb.DuckDBPyConnection, rng: np.random.Generator) -> str:
    """One random resubmission: a quantity corrected, a quantity withdrawn, or a status item moved a step.
    Returns the period it touched."""
    periods = [p for (p,) in con.execute("select distinct period from raw.report_rows order by 1").fetchall()]
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


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    con, _ = build_sample_warehouse(tmp_path_factory.mktemp("incremental") / "sample.duckdb")
    _build(con, on=False)  # every period computed with the test's options: the starting point
    yield con
    con.close()


def test_fingerprints_move_only_with_their_period(warehouse: duckdb.DuckDBPyConnection) -> None:
    inp = mc._Inputs(warehouse, OPTIONS)
    before = reuse.period_fingerprints(inp)
    assert len(set(before)) == len(before), "every period has its own fingerprint"
    p = len(inp.periods) // 2
    cell = tuple(int(i[0]) for i in np.nonzero(~np.isnan(inp.obs[p])))
    inp.obs[p][cell] += 1.0
    after = reuse.period_fingerprints(inp)
    assert [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [p]
    assert reuse.period_fingerprints(inp, {"mc_draws": 61}) != after, "an option moves every period"


@pytest.mark.parametrize("seed", [7, 2020])
def test_incremental_builds_equal_full_rebuilds(warehouse: duckdb.DuckDBPyConnection, seed: int) -> None:
    rng = np.random.default_rng(seed)
    reused_any = False
    for night in range(2):
        touched = sorted({_change(warehouse, rng) for _ in range(int(rng.integers(1, 4)))})
        stats = _build(warehouse, on=True)
        periods = stats["int_rank_uncertainty"]["periods"]
        for model, s in stats.items():
            assert s["periods"] == periods and 1 <= s["computed"] <= periods, (model, s)
        reused_any |= stats["int_rank_uncertainty"]["computed"] < periods
        snapshot = _snapshot(warehouse)
        full = _build(warehouse, on=False)
        assert all(s["computed"] == s["periods"] for s in full.values()), full
        assert _differences(warehouse, snapshot) == {}, (night, touched, stats)
    assert reused_any, "no night reused a period: the test would not test the reuse"


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
