"""Indicator-level formulas on hand-computed cases (method 2.0): targets and the one yardstick to 2025, goalposts
and outlier treatment, status items, progress to the next milestone."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scoring_helpers import indicator, row

CITIES = {"410100": 0.5, "410200": 0.3, "410300": 0.2}
WEIGHTS = [("special", "s1", "a1", 1.0), ("special", "s2", "a1", 1.0), ("action", "a1", "overall", 1.0)]


def _score(con, city: str, period: str, code: str) -> dict:
    df = con.execute(
        "select * from intermediate.int_indicator_scores where city_code = ? and period = ? and indicator_code = ?",
        [city, period, code],
    ).df()
    assert len(df) == 1
    return df.iloc[0].to_dict()


@pytest.fixture
def target_case(tiny):
    """parks: apportioned by population from a provincial 2018 target of 100 (50 / 30 / 20);
    wait_days: direction lower, uniform provincial target 10."""
    inds = [
        indicator("parks", "s1", "a1", target_method="apportioned", target_code="T1", apportion_key="population"),
        indicator("wait_days", "s2", "a1", direction="lower", kind="level", target_method="uniform",
                  target_code="T2"),
    ]
    rows = [
        # parks: 410100 baseline 10 -> 30 (2016Q4) -> 70 (2018Q4, overachieves)
        row("410100", "2015Q4", "parks", 10), row("410100", "2016Q4", "parks", 30),
        row("410100", "2018Q4", "parks", 70),
        # 410200: zero baseline
        row("410200", "2015Q4", "parks", 0), row("410200", "2016Q4", "parks", 6), row("410200", "2018Q4", "parks", 30),
        # 410300: target (20) already met at baseline (25), then falls below it
        row("410300", "2015Q4", "parks", 25), row("410300", "2016Q4", "parks", 24),
        row("410300", "2018Q4", "parks", 15),
        # wait_days (lower is better, target 10 days)
        row("410100", "2015Q4", "wait_days", 20), row("410100", "2016Q4", "wait_days", 15),
        row("410100", "2018Q4", "wait_days", 10),
        row("410200", "2015Q4", "wait_days", 8), row("410200", "2016Q4", "wait_days", 9),
        row("410200", "2018Q4", "wait_days", 8),
        row("410300", "2015Q4", "wait_days", 8), row("410300", "2016Q4", "wait_days", 12),
        row("410300", "2018Q4", "wait_days", 12),
    ]
    return tiny(cities=CITIES, indicators=inds, targets={"T1": 100, "T2": 10}, weights=WEIGHTS, rows=rows)


def test_apportioned_targets_and_2025_extension(target_case):
    t = target_case.execute(
        "select city_code, indicator_code, target_2018, target_2025, target_2018_source, is_apportioned "
        "from intermediate.int_city_targets order by indicator_code, city_code").df()
    parks = t[t.indicator_code == "parks"].set_index("city_code")
    assert parks.target_2018.tolist() == pytest.approx([50, 30, 20])
    assert set(parks.target_2018_source) == {"apportioned_population"} and parks.is_apportioned.all()
    # province baseline 10 + 0 + 25 = 35; 2025 = 35 + (100 - 35) * 10 / 3 = 251.667, apportioned by population
    assert parks.target_2025.tolist() == pytest.approx([0.5 * 251.6666667, 0.3 * 251.6666667, 0.2 * 251.6666667])
    wait = t[t.indicator_code == "wait_days"]
    assert wait.target_2018.tolist() == [10, 10, 10] and wait.target_2025.tolist() == [10, 10, 10]
    assert set(wait.target_2018_source) == {"provincial_uniform"} and not wait.is_apportioned.any()


T25_PARKS = 251.6666667  # province: baseline 35 + (100 - 35) * 10 / 3


def test_distance_to_target_path(target_case):
    """One yardstick: the path from the baseline to the 2025 target; progress to the 2018 target on its own path."""
    s = _score(target_case, "410100", "2016Q4", "parks")
    t25 = 0.5 * T25_PARKS  # 125.83
    assert s["target_value"] == pytest.approx(t25) and s["milestone_target"] == 50
    assert s["score"] == pytest.approx(100 * (30 - 10) / (t25 - 10))  # 17.27
    assert s["milestone_score"] == pytest.approx(100 * (50 - 10) / (t25 - 10))  # the 2018 target on the yardstick
    # 2/3... of the way? no: (30 - 10) / (50 - 10) = 0.5 of the path to 2018 after 4 of its 12 quarters
    assert s["achieved_share"] == pytest.approx(0.5) and s["elapsed_share"] == pytest.approx(1 / 3)
    assert s["progress_ratio"] == pytest.approx(1.5)
    assert s["on_track"] == "on_track" and s["trend_arrow"] == "↑" and s["traffic_light"] == "green"
    assert s["overachievement"] == 0


def test_overachievement_is_capped_and_kept_apart(target_case):
    s = _score(target_case, "410100", "2018Q4", "parks")
    assert s["score"] == pytest.approx(100 * 60 / (0.5 * T25_PARKS - 10))  # not capped: 2025 is further
    assert s["overachievement"] == pytest.approx(50.0)  # (70 - 10) / (50 - 10) = 1.5 of the 2018 target
    assert s["on_track"] == "achieved"


def test_zero_baseline(target_case):
    s = _score(target_case, "410200", "2016Q4", "parks")
    assert s["baseline_value"] == 0 and s["score"] == pytest.approx(100 * 6 / (0.3 * T25_PARKS))
    # 6 of the 30 needed by 2018 after a third of the time: ratio 0.6
    assert s["achieved_share"] == pytest.approx(0.2) and s["progress_ratio"] == pytest.approx(0.6)
    assert s["on_track"] in ("moderately_improving", "stagnating")  # 0.6 is the threshold itself


def test_target_already_met_at_baseline(target_case):
    """Baseline 25 above the 2018 target 20: progress from the baseline toward 2025 (50.3) is what scores."""
    s = _score(target_case, "410300", "2016Q4", "parks")
    assert s["score"] == 0.0  # 24 is below the baseline: no progress toward 2025
    assert s["overachievement"] == pytest.approx(20.0) and s["on_track"] == "achieved"  # 24 / 20: 2018 target met
    s = _score(target_case, "410300", "2018Q4", "parks")
    assert s["score"] == 0.0
    assert s["on_track"] == "decreasing" and s["trend_arrow"] == "↓"  # fell back below the met target: 15 < 20


def test_direction_lower(target_case):
    s = _score(target_case, "410100", "2016Q4", "wait_days")
    assert s["score"] == pytest.approx(50.0)  # (20 - 15) / (20 - 10)
    s = _score(target_case, "410200", "2016Q4", "wait_days")  # baseline 8 already below the 10-day target
    assert s["score"] == 100.0 and s["overachievement"] == pytest.approx(10.0)  # 1 + (10 - 9) / 10
    s = _score(target_case, "410300", "2016Q4", "wait_days")
    assert s["score"] == pytest.approx(100 * 10 / 12)


def test_special_score_is_the_weighted_mean(target_case):
    sp = target_case.execute(
        "select score from intermediate.int_special_scores where city_code = '410100' and period = '2016Q4' "
        "and special_code = 's1'").fetchone()[0]
    parks = 100 * 20 / (0.5 * T25_PARKS - 10)
    assert sp == pytest.approx(parks)
    a1 = target_case.execute(
        "select score_arithmetic from intermediate.int_scope_scores where city_code = '410100' "
        "and period = '2016Q4' and scope = 'a1'").fetchone()[0]
    assert a1 == pytest.approx((parks + 50.0) / 2)


def test_declared_city_target_wins_and_2025_extends_the_city_path(tiny):
    inds = [indicator("parks", "s1", "a1", target_method="apportioned", target_code="T1", apportion_key="population")]
    rows = [row("410100", "2015Q4", "parks", 10, t18=40), row("410100", "2016Q4", "parks", 25, t18=60),
            row("410200", "2015Q4", "parks", 5), row("410200", "2016Q4", "parks", 10),
            row("410300", "2015Q4", "parks", 0), row("410300", "2016Q4", "parks", 0)]
    con = tiny(cities=CITIES, indicators=inds, targets={"T1": 100}, weights=WEIGHTS[:1] + WEIGHTS[2:], rows=rows)
    t = con.execute("select * from intermediate.int_city_targets order by city_code").df().set_index("city_code")
    # the earliest declaration counts (40, not the later 60); 2025 = 10 + (40 - 10) * 10 / 3 = 110
    assert t.loc["410100", "target_2018"] == 40 and t.loc["410100", "target_2018_source"] == "city_declared"
    assert t.loc["410100", "target_2025"] == pytest.approx(110.0)
    assert t.loc["410100", "target_2025_source"] == "extended_city_path"
    assert t.loc["410200", "target_2018"] == pytest.approx(30.0)
    s = _score(con, "410100", "2016Q4", "parks")
    assert s["score"] == pytest.approx(15.0) and s["target_source"] == "city_declared"  # (25 - 10) / (110 - 10)
    # 410300: zero baseline and a zero result still scores 0 (a true zero, not a missing value)
    s = _score(con, "410300", "2016Q4", "parks")
    assert s["is_true_zero"] and s["score"] == 0.0 and s["value_status"] == "reported"


def test_status_steps_and_goalposts(tiny):
    inds = [
        indicator("ms_s1", "s1", "a1", kind="status", target_method="status"),
        indicator("platforms", "s2", "a1"),
        indicator("complaints", "s2", "a1", direction="lower"),
    ]
    steps = {"410100": "基本完成", "410200": "推进中", "410300": "未启动"}
    rows = []
    for c, st in steps.items():
        rows += [row(c, "2015Q4", "ms_s1", status="reported", step="未启动"),
                 row(c, "2016Q4", "ms_s1", status="reported", step=st)]
    for c, (p0, p1, c0, c1) in {"410100": (0, 5, 12, 4), "410200": (2, 10, 10, 2), "410300": (1, 3, 6, 12)}.items():
        rows += [row(c, "2015Q4", "platforms", p0), row(c, "2016Q4", "platforms", p1),
                 row(c, "2015Q4", "complaints", c0), row(c, "2016Q4", "complaints", c1)]
    con = tiny(cities=CITIES, indicators=inds, weights=WEIGHTS, rows=rows)
    assert _score(con, "410100", "2016Q4", "ms_s1")["score"] == pytest.approx(66.666667)
    assert _score(con, "410200", "2016Q4", "ms_s1")["score"] == pytest.approx(33.333333)
    assert _score(con, "410300", "2016Q4", "ms_s1")["score"] == 0.0
    # goalposts fixed over all cities and periods: platforms 0..10 in 2015-2018, extended to 0..33.3 for 2025
    s = _score(con, "410100", "2016Q4", "platforms")
    assert (s["goalpost_low"], s["goalpost_high"]) == (0, pytest.approx(100 / 3)) and s["score"] == pytest.approx(15)
    # complaints (lower is better) 2..12, extended down to max(0, 12 - 10 * 10 / 3) = 0: 4 scores (12 - 4) / 12
    s = _score(con, "410100", "2016Q4", "complaints")
    assert s["score"] == pytest.approx(100 * 8 / 12)
    # the 2018 milestone is the best 2018 value (2: score 83.3); from 0 at the baseline to 80 % of it in a third
    # of the time: ratio 2.4
    assert s["milestone_score"] == pytest.approx(100 * 10 / 12) and s["progress_ratio"] == pytest.approx(2.4)


def test_winsorised_goalposts(tiny):
    """21 values 1..20 and 1000: skew and kurtosis beyond the COINr thresholds; winsorising the one extreme point
    to the next value (20) passes, so one point is treated and the goalposts are 1..20 (2018), 1..64.3 (2025)."""
    inds = [indicator("platforms", "s1", "a1")]
    periods = ["2015Q4", "2016Q1", "2016Q2", "2016Q3", "2016Q4", "2017Q1", "2017Q2"]
    values = [float(v) for v in range(1, 21)] + [1000.0]
    rows, k = [], 0
    for c in CITIES:
        for p in periods:
            rows.append(row(c, p, "platforms", values[k]))
            k += 1
    con = tiny(cities=CITIES, indicators=inds, weights=WEIGHTS[:1] + WEIGHTS[2:], rows=rows)
    g = con.execute("select * from intermediate.int_goalposts where basis = 'raw'").df().iloc[0]
    ser = pd.Series(values)
    assert g["skew"] == pytest.approx(ser.skew()) and g["kurt"] == pytest.approx(ser.kurt())
    assert g["skew"] >= 2 and g["kurt"] >= 3.5
    assert g["treatment"] == "winsorised" and g["winsorised_points"] == 1 and g["winsor_bound"] == 20
    winsorised = pd.Series([*range(1, 21), 20.0])
    assert not (abs(winsorised.skew()) >= 2 and winsorised.kurt() >= 3.5)  # one point is enough
    assert (g["goalpost_low_value_2018"], g["goalpost_high_value_2018"]) == (1.0, 20.0)
    assert g["goalpost_high"] == pytest.approx(1 + 19 * 10 / 3)  # the 2015->2018 range extended to 2025
    s = con.execute("select score from intermediate.int_indicator_scores where value = 10").fetchone()[0]
    assert s == pytest.approx(100 * 9 / (19 * 10 / 3)) and not math.isclose(s, 100 * 9 / 999)
    assert con.execute("select score from intermediate.int_indicator_scores where value = 1000").fetchone()[0] == 100


def test_log_transform_when_five_points_are_not_enough(tiny):
    """70 values of 1 and a tail of 100, 200 .. 800 (6 cities x 13 quarters): five winsorised points do not bring
    skewness and kurtosis under the thresholds, so the original pool is log-transformed and re-checked."""
    cities = {c: 1 / 6 for c in ("410100", "410200", "410300", "410400", "410500", "410600")}
    inds = [indicator("platforms", "s1", "a1")]
    values = [1.0] * 70 + [100.0 * (j + 1) for j in range(8)]
    periods = [f"{y}Q{q}" for y in (2016, 2017, 2018) for q in (1, 2, 3, 4)]
    cells = [(c, p) for p in ["2015Q4", *periods] for c in cities]
    rows = [row(c, p, "platforms", v) for (c, p), v in zip(cells, values, strict=True)]
    con = tiny(cities=cities, indicators=inds, weights=WEIGHTS[:1] + WEIGHTS[2:], rows=rows)
    g = con.execute("select * from intermediate.int_goalposts where basis = 'raw'").df().iloc[0]
    ordered = sorted(values)
    for n in range(1, 6):  # what the model tried: the n most extreme values set to the next one
        w = pd.Series(ordered[:-n] + [ordered[-n - 1]] * n)
        assert abs(w.skew()) >= 2 and w.kurt() >= 3.5
    assert g["treatment"] == "log" and g["winsorised_points"] == 0
    logged = pd.Series([math.log(v - 1 + 1) for v in values])
    assert g["skew_after_log"] == pytest.approx(logged.skew())
    assert not g["passes_after_treatment"]  # still skewed after the log: published as such
    # goalposts on the log scale ln(x - min + 1); the 2025 high extended in value space first: 1 + 799 * 10 / 3
    assert g["goalpost_low"] == 0 and g["goalpost_high"] == pytest.approx(math.log(799 * 10 / 3 + 1))
    s = con.execute("select score from intermediate.int_indicator_scores where value = 100 limit 1").fetchone()[0]
    assert s == pytest.approx(100 * math.log(100) / math.log(799 * 10 / 3 + 1))


def test_a_later_quarter_never_moves_published_scores(tiny):
    """Goalposts are frozen at goalpost_reference_to (2018Q4): 2020Q4 data, however extreme, leaves history alone."""
    inds = [indicator("platforms", "s1", "a1"), indicator("ms_s2", "s2", "a1", kind="status",
                                                           target_method="status")]
    base = []
    for c, vals in {"410100": (0, 4, 8, 9), "410200": (1, 2, 3, 5), "410300": (0, 1, 6, 7)}.items():
        for p, v in zip(("2015Q4", "2016Q4", "2018Q4", "2019Q4"), vals, strict=True):
            base += [row(c, p, "platforms", v), row(c, p, "ms_s2", step="推进中")]
    later = [row(c, "2020Q4", "platforms", 500) for c in CITIES] + [
        row(c, "2020Q4", "ms_s2", step="已完成") for c in CITIES]
    old = tiny(cities=CITIES, indicators=inds, weights=WEIGHTS, rows=base)
    new = tiny(cities=CITIES, indicators=inds, weights=WEIGHTS, rows=base + later)
    q = ("select period, city_code, scope, score, rank from intermediate.int_scope_scores "
         "where period <= '2019Q4' order by all")
    assert old.execute(q).fetchall() == new.execute(q).fetchall()
    # one yardstick: goalposts 0..8 in the reference period, scored on 0..8 * 10 / 3 = 26.67: 9 scores 33.75
    s = new.execute("select score from intermediate.int_indicator_scores where city_code = '410100' "
                    "and period = '2019Q4' and indicator_code = 'platforms'").fetchone()[0]
    assert s == pytest.approx(100 * 9 / (8 * 10 / 3))
    assert new.execute("select score from intermediate.int_indicator_scores where city_code = '410100' "
                       "and period = '2020Q4' and indicator_code = 'platforms'").fetchone()[0] == 100
