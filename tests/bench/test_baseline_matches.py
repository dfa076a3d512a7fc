"""The pandas baseline is a faithful port: on the same data it publishes what the DuckDB pipeline publishes.

Why: the bench's DuckDB/pandas ratio is only honest if both sides compute the same thing. The tiny data set is
edited so that every branch that matters is taken (quarantined rows, carry-forward, not-reported cells below the
coverage threshold, declared and extended city targets, zero targets, a city's 不适用, outlier treatment (winsorised
and log), rare counts, a dated weight change, a city absent from a complete and from a partial evidence list, the
2025 milestone); the test checks that it is, then compares every column of the marts and the rank intervals.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from tools.bench import lpublish as P
from tools.bench import lstages as L
from tools.bench.baseline import run_baseline
from tools.bench.generate import Scale, bench_periods, generate
from tools.bench.lpublish import published_glob

TINY = Scale("T", 20, 14, 20_000)  # 2015Q4 .. 2019Q1: both milestone phases
PERIODS = bench_periods(TINY.quarters)
MARTS = {"league_table": ["period", "city_code", "scope"], "scope_scores": ["period", "city_code", "scope"],
         "special_scores": ["period", "city_code", "special_code"],
         "indicator_scores": ["period", "city_code", "indicator_code"]}
INTERVALS = [f"{q}{basis}" for basis in ("", "_size_adjusted") for q in ("median_rank", "rank_p05", "rank_p95")]
OUTLIER_CITY, OUTLIER_INDICATOR = "410700", "o2o_experience_centres"
TIE_INDICATOR = "high_end_talent"  # a count on its target (not a rare count)
UNLISTED_CITY, LISTED_INDICATOR = "410500", "xborder_pilot_zone"  # complete list to 2018Q2, partial afterwards


def published(root: Path, table: str) -> pd.DataFrame:
    """A published mart of the bench (``lstages.publish``: one Parquet file per mart and period)."""
    return duckdb.sql(f"select * from read_parquet('{published_glob(root, table)}', hive_partitioning = true)").df()


def _report_value(root: Path, city: str, period: str, code: str) -> str:
    with open(root / "reports" / f"c={city}" / f"q={period}" / "data_0.csv", encoding="utf-8", newline="") as f:
        return next(r["本期数值"] for r in csv.DictReader(f) if r["代码"] == code)


def _edit(root: Path, city: str, period: str, change: dict[str, dict[str, str]]) -> None:
    """Set columns of the rows of one report (keyed by 代码) to new values."""
    path = root / "reports" / f"c={city}" / f"q={period}" / "data_0.csv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    head = rows[0]
    for r in rows[1:]:
        for col, val in change.get(r[head.index("代码")], {}).items():
            r[head.index(col)] = val
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def _perturb(root: Path) -> None:
    """Edit the generated reports so that the scoring's rarer branches are taken."""
    reports = root / "reports"
    shutil.rmtree(reports / "c=410200" / "q=2016Q3")  # one quarter missing: carried forward
    for p in PERIODS[2:9]:  # seven quarters missing: carried for 4, then not reported, coverage below threshold
        shutil.rmtree(reports / "c=410300" / f"q={p}")
    # declared targets (ecommerce_parks is a rare count: on goalposts all the same); high_end_talent: baseline 10,
    # 2025 target 522, then 11 scores 100 / 512 = 0.1953125, a rounding tie at 6 decimals (DuckDB rounds it up,
    # numpy to even)
    _edit(root, "410400", "2015Q4", {
        "ecommerce_parks": {"本期数值": "10", "本市目标2018": "522"}, "smart_logistics_parks": {"本市目标2025": "80"},
        TIE_INDICATOR: {"本期数值": "10", "本市目标2025": "522"}})
    _edit(root, "410400", "2016Q1", {"ecommerce_parks": {"本期数值": "11"}, TIE_INDICATOR: {"本期数值": "11"}})
    _edit(root, "410400", "2016Q2", {"express_terminals": {"本市目标2018": "500"}})  # declared 2018 only: extended
    _edit(root, "410400", "2017Q1", {"ecommerce_parks": {"本市目标2018": "99"}})  # later: the earliest counts
    _edit(root, "410500", "2016Q4", {"online_retail_sales": {"本期数值": "不适用"}})  # a city's own 不适用
    _edit(root, "410500", "2017Q2", {"ecommerce_01": {"推进状态": "不适用"}})
    _edit(root, "410500", "2017Q3", {"ecommerce_02": {"推进状态": ""}})
    _edit(root, "410600", "2016Q1", {"ecommerce_demo_counties": {"本期数值": "12,5"},  # quarantined rows
                                     "logistics_info_platforms": {"代码": "no_such_code"},
                                     "smart_home_firms": {"单位": "千个"}})
    _edit(root, "410800", "2015Q4", {"xborder_ecommerce_trade": {"本期数值": "0"}})  # zero baseline share: zero target
    _edit(root, "410900", "2015Q4", {"ecommerce_parks": {"本期数值": "0"}})  # zero baseline: linear progress
    for p in (p for p in PERIODS if p <= "2018Q4"):  # a long right tail: winsorised goalposts
        value = _report_value(root, OUTLIER_CITY, p, OUTLIER_INDICATOR)
        if value:  # the generator leaves a few cells blank
            _edit(root, OUTLIER_CITY, p, {OUTLIER_INDICATOR: {"本期数值": str(int(float(value)) * 60)}})


def _unlist(root: Path, city: str, kind: str) -> int:
    """Drop a city's feed records of one kind (every yearly partition): absent from its evidence list."""
    removed = 0
    for path in sorted((root / "feeds").glob("*/*.parquet")):
        table = pq.read_table(path)
        keep = pc.invert(pc.and_(pc.equal(table["city_code"], city), pc.equal(table["kind"], kind)))
        kept = table.filter(keep)
        removed += table.num_rows - kept.num_rows
        pq.write_table(kept, path)
    return removed


def _set_parameter(seeds: Path, name: str, value: str) -> None:
    df = pd.read_csv(seeds / "scoring_parameters.csv", dtype=str, keep_default_na=False)
    assert name in set(df["parameter"])
    df.loc[df["parameter"] == name, "value"] = value
    df.to_csv(seeds / "scoring_parameters.csv", index=False)


def _parameter(seeds: Path, name: str) -> str:
    df = pd.read_csv(seeds / "scoring_parameters.csv", dtype=str, keep_default_na=False)
    return df.loc[df["parameter"] == name, "value"].iloc[0]


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    """The same edited data through the L stages (DuckDB) and through the pandas baseline."""
    root = tmp_path_factory.mktemp("bench-match")
    generate(root, TINY)
    _perturb(root)
    unlisted = _unlist(root, UNLISTED_CITY, LISTED_INDICATOR)
    db = root / "work" / "bench.duckdb"
    ing = L.ingest_reports(db, root)
    L.ingest_feeds(db, root)
    val = L.validate(db, root)
    L.build(db, root)
    P.publish(db, root)
    base = run_baseline(root, 1.0)
    return root, {"ingest": ing, "validate": val, "feed_rows": TINY.feed_rows - unlisted}, base


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise equality: numbers within 1e-9 (NaN = NaN = null), everything else exactly (null = null)."""
    num = [pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) for s in (a, b)]
    if all(num):
        x, y = a.astype(float).to_numpy(), b.astype(float).to_numpy()
        return (np.isnan(x) & np.isnan(y)) | (np.abs(x - y) <= 1e-9)
    x = a.astype(object).where(a.notna(), None).to_numpy()
    y = b.astype(object).where(b.notna(), None).to_numpy()
    return np.array([(u is None and v is None) or (u is not None and v is not None and bool(u == v))
                     for u, v in zip(x, y, strict=True)])


# the value each rounded mart column had before the mart rounded it, in the DuckDB intermediate layer
ACTION_UNROUNDED = {"score": "score_unpublished", "score_size_adjusted": "score_size_adjusted_unpublished",
                    "score_arithmetic": "score_arithmetic", "score_geometric": "score_geometric",
                    "coverage": "coverage", "baseline_score": "baseline_score", "progress_ratio": "progress_ratio",
                    "score_all": "score_unpublished"}
UNROUNDED = {
    "special_scores": ("int_special_scores", "special_code",
                       {"score": "score", "score_size_adjusted": "score_size_adjusted", "coverage": "coverage"}),
    "scope_scores": ("int_scope_scores", "scope", ACTION_UNROUNDED),
    "league_table": ("int_scope_scores", "scope", ACTION_UNROUNDED),
}


def _unrounded(root: Path, table: str, rows: pd.DataFrame) -> pd.DataFrame | None:
    """The SQL's unrounded values for the mart's ``rows`` (columns ``sql_<mart column>``), from the bench DuckDB."""
    if table not in UNROUNDED:
        return None
    model, key, cols = UNROUNDED[table]
    select = ", ".join(f"{v} as sql_{k}" for k, v in cols.items())
    con = duckdb.connect(str(root / "work" / "bench.duckdb"), read_only=True)
    try:
        df = con.execute(f"select period, city_code, {key}, {select} from intermediate.{model}").df()
    finally:
        con.close()
    return rows.merge(df, on=["period", "city_code", key], how="left", validate="one_to_one")


def _float_ties(c: str, a: pd.DataFrame, b: pd.DataFrame, sql: pd.DataFrame | None, seeds: Path) -> np.ndarray:
    """Rows where the marts may legitimately differ: the SQL's own unrounded value sits (within 1e-9) on a tie.

    pandas and DuckDB add the same numbers in different orders, so results differ in the last bits. That is
    invisible after rounding, except for a value exactly halfway between two rounded values (205.080225 / 3.5 =
    58.59435 rounds to 58.5943 or 58.5944 by the last bit) or exactly on a decision threshold (progress 0 is
    'stagnating', -1e-16 'decreasing'). Only those rows are excused, and only with the SQL value proving the tie.
    """
    if sql is None:
        return np.zeros(len(a), dtype=bool)
    if f"sql_{c}" in sql.columns:
        x, y = a[c].astype(float).to_numpy(), b[c].astype(float).to_numpy()
        u = sql[f"sql_{c}"].astype(float).to_numpy()
        return (np.abs(np.abs(x - y) - 1e-4) < 1e-9) & (np.abs(u - (x + y) / 2) < 1e-9)
    if c in ("on_track", "trend_arrow") and "sql_progress_ratio" in sql.columns:
        marks = [0.0, float(_parameter(seeds, "progress_moderate")), float(_parameter(seeds, "progress_on_track"))]
        u = sql["sql_progress_ratio"].astype(float).to_numpy()
        return (np.min([np.abs(u - t) for t in marks], axis=0) < 1e-9) | (
            np.abs(sql["sql_score_all"].astype(float).to_numpy() - 100) < 1e-9)
    return np.zeros(len(a), dtype=bool)


def _mismatches(root: Path, out: str = "baseline_out", skip: tuple[str, ...] = tuple(INTERVALS)) -> list[str]:
    """Every published mart column against the baseline's: one line per column that differs."""
    found = []
    for table, keys in MARTS.items():
        a = published(root, table).sort_values(keys, ignore_index=True)
        b = pd.read_parquet(root / out / f"{table}.parquet").sort_values(keys, ignore_index=True)
        if len(a) != len(b) or not (a[keys].astype(str).to_numpy() == b[keys].astype(str).to_numpy()).all():
            found.append(f"{table}: keys differ ({len(a)} vs {len(b)} rows)")
            continue
        found += [f"{table}.{c}: missing" for c in a.columns if c not in b.columns]
        sql = _unrounded(root, table, a[keys])
        for c in a.columns:
            if c not in b.columns or c in skip or c == "rank_draws":
                continue
            ok = _same(a[c], b[c])
            if not ok.all():
                ok |= _float_ties(c, a, b, sql, root / "seeds")
            if not ok.all():
                i = np.flatnonzero(~ok)[:3]
                pairs = list(zip(a[c].iloc[i], b[c].iloc[i], strict=True))
                found.append(f"{table}.{c}: {(~ok).sum()} rows, e.g. {pairs}")
    return found


def test_the_edits_reach_the_rare_branches(both: tuple[Path, dict, dict]) -> None:
    root, sql, base = both
    ind = published(root, "indicator_scores")
    league = published(root, "league_table")
    assert sql["ingest"]["rows_quarantined"] == 3
    assert sql["validate"]["critical_failures"] == [] and sql["validate"]["periods_missing_cities"] > 0
    assert {"carried_forward", "not_reported", "not_applicable", "unknown"} <= set(ind["value_status"])
    assert {"city_claimed_not_applicable", "no_report_row", "blank", "partial_list"} <= set(ind["absence_reason"])
    assert {"listed", "absent_from_complete_list", "unknown_partial_list"} <= set(ind["list_evidence"].dropna())
    assert {"city_declared", "extended_city_path"} <= set(ind["target_source"])
    assert {"target", "goalpost", "status", "zero_target", "context", "retired", "not_applicable",
            "unknown"} <= set(ind["score_basis"])
    assert {"achieved", "on_track", "moderately_improving", "stagnating", "decreasing",
            "no_new_data"} <= set(ind["on_track"].dropna())
    assert {"none", "winsorised", "log"} <= set(ind["treatment"].dropna())
    assert (ind.loc[ind["indicator_code"] == OUTLIER_INDICATOR, "treatment"] != "none").all()
    assert ind["is_rare_count"].any() and ind["change_reason"].notna().any()
    assert set(ind["milestone_year"]) == {2018, 2025} and ind["is_milestone_change"].any()
    tie = ind.set_index(["city_code", "period", "indicator_code"]).loc[("410400", "2016Q1", TIE_INDICATOR)]
    assert tie["score"] == 0.195313  # the rounding tie, rounded half away from zero
    assert (~league["has_score"]).any() and league["rank_change"].notna().any()
    assert (league["no_score_reason"] == "insufficient_data").any()
    assert {"agree", "differ", "no_independent_evidence"} <= set(league["evidence_agreement"].dropna())
    assert league["median_rank_size_adjusted"].notna().any()


def test_baseline_counts_and_validates_like_the_sql(both: tuple[Path, dict, dict]) -> None:
    _, sql, base = both
    assert base["rows"] == sql["ingest"]["rows"]
    assert (base["rows_staged"], base["rows_quarantined"]) == (sql["ingest"]["rows_staged"],
                                                                sql["ingest"]["rows_quarantined"])
    assert base["feed_rows"] == sql["feed_rows"] < TINY.feed_rows
    assert base["gx"]["success"] and base["gx"]["failed"] == []
    assert base["gx"]["warnings"] == ["periods_missing_cities"]  # the SQL's one warning, for the deleted files
    assert set(base["steps_s"]) >= {"ingest", "parse", "feeds", "gx_import", "gx_reports", "gx_feeds", "score",
                                    "monte_carlo", "publish"}


def test_baseline_publishes_what_the_sql_publishes(both: tuple[Path, dict, dict]) -> None:
    root, _, _ = both
    assert _mismatches(root) == []


def test_rank_intervals_match_the_monte_carlo(both: tuple[Path, dict, dict]) -> None:
    """Against the published intervals once the build runs the Monte Carlo; else the Monte Carlo model."""
    root, _, _ = both
    keys = MARTS["league_table"]
    pub = published(root, "league_table")
    base = pd.read_parquet(root / "baseline_out" / "league_table.parquet")
    draws, seed = int(_parameter(root / "seeds", "mc_draws")), int(_parameter(root / "seeds", "mc_seed"))
    if pub["median_rank"].notna().any():
        ref = pub[[*keys, *INTERVALS, "rank_draws"]]
    else:
        from transforms.build.montecarlo import rank_uncertainty

        con = duckdb.connect(str(root / "work" / "bench.duckdb"))
        try:
            mc_rows = rank_uncertainty(con, {"mc_draws": draws, "mc_seed": seed})  # noqa: F841 (replacement scan)
            ref = con.execute("select period, city_code, scope, median_rank, rank_p05, rank_p95, draws as rank_draws "
                              "from mc_rows").df()
        finally:
            con.close()
    m = base.merge(ref, on=keys, how="left", suffixes=("", "_ref"), validate="one_to_one")
    assert len(m) == len(pub)
    assert m["median_rank"].notna().sum() == base["rank"].notna().sum()  # an interval for every ranked row
    for c in [*INTERVALS, "rank_draws"]:
        assert _same(m[c], m[f"{c}_ref"]).all(), c
    assert (m["rank_draws"] == draws).all()


def test_a_changed_parameter_breaks_the_match(both: tuple[Path, dict, dict], tmp_path: Path) -> None:
    """The comparison is not vacuous: the baseline with another outlier threshold no longer matches."""
    root, _, _ = both
    other = tmp_path / "other"
    for sub in ("reports", "feeds", "seeds", "published", "work"):
        shutil.copytree(root / sub, other / sub)
    _set_parameter(other / "seeds", "winsor_abs_skew", "100")  # no outlier treatment
    _set_parameter(other / "seeds", "mc_draws", "10")
    run_baseline(other, 1.0)
    found = _mismatches(other)
    assert any(f.startswith("indicator_scores.goalpost_high:") for f in found), found
    assert any(f.startswith("league_table.score:") for f in found), found
