"""The size-adjusted view (issue 6): per-million goalposts for population-sized goalpost indicators, the raw score
kept for target-based ones, aggregated and ranked like the raw view. Hand-computed tiny case plus the full sample."""

from __future__ import annotations

import pytest
from scoring_helpers import indicator, row

# population = share * 1e7: 5, 3 and 2 million residents
CITIES = {"410100": 0.5, "410200": 0.3, "410300": 0.2}
WEIGHTS = [("special", "s1", "a1", 1.0), ("special", "s2", "a1", 1.0), ("action", "a1", "overall", 1.0)]


@pytest.fixture
def size_case(tiny):
    """centres: goalpost-scored count per population; parks: apportioned target (100 -> 50 / 30 / 20).

    centres 2015Q4 -> 2018Q4: 410100 10 -> 20 (2 -> 4 per million), 410200 3 -> 9 (1 -> 3), 410300 4 -> 12 (2 -> 6).
    Raw goalposts 3..20, per-million goalposts 1..6 in the reference period, extended to 2025 (the one yardstick):
    3..59.67 and 1..17.67, so every score is 0.3 of its 2018-range score. The small city 410300 has fewer centres
    than 410100 (12 < 20) but more per million residents (6 > 4).
    """
    inds = [
        indicator("centres", "s1", "a1", size_denominator="population"),
        indicator("parks", "s2", "a1", target_method="apportioned", target_code="T1", apportion_key="population",
                  size_denominator="population"),
    ]
    values = {"410100": (10, 20, 10, 30), "410200": (3, 9, 6, 12), "410300": (4, 12, 4, 16)}
    rows = []
    for city, (c15, c18, p15, p18) in values.items():
        rows += [row(city, "2015Q4", "centres", c15), row(city, "2018Q4", "centres", c18),
                 row(city, "2015Q4", "parks", p15), row(city, "2018Q4", "parks", p18)]
    return tiny(cities=CITIES, indicators=inds, targets={"T1": 100}, weights=WEIGHTS, rows=rows)


def _indicator(con, code: str) -> dict[str, tuple[float, float, float]]:
    rows = con.execute(
        "select city_code, value_per_million, score, score_size_adjusted from marts_candidate.indicator_scores "
        "where period = '2018Q4' and indicator_code = ? order by city_code", [code]).fetchall()
    return {c: (vpm, s, sa) for c, vpm, s, sa in rows}


def test_goalposts_on_per_million_values(size_case):
    gp = size_case.execute(
        "select goalpost_low_value_2018, goalpost_high_value_2018, treatment, goalpost_high from "
        "intermediate.int_goalposts where basis = 'per_million' and indicator_code = 'centres'").fetchone()
    assert gp[:3] == (1.0, 6.0, "none") and gp[3] == pytest.approx(1 + 5 * 10 / 3)
    # the target-based indicator has no per-million goalposts
    assert size_case.execute("select count(*) from intermediate.int_goalposts "
                             "where basis = 'per_million' and indicator_code = 'parks'").fetchone()[0] == 0
    c = _indicator(size_case, "centres")
    assert c["410100"] == pytest.approx((4.0, 30.0, 18.0))                # raw (20-3)/56.67; per million (4-1)/16.67
    assert c["410200"] == pytest.approx((3.0, 0.3 * 600 / 17, 12.0))      # raw (9-3)/56.67
    assert c["410300"] == pytest.approx((6.0, 0.3 * 900 / 17, 30.0))      # raw (12-3)/56.67


def test_target_based_score_is_size_neutral(size_case):
    p = _indicator(size_case, "parks")
    # progress to the population-apportioned 2025 target (province 20 + (100 - 20) * 10 / 3 = 286.67 split 5/3/2):
    # (30-10)/(143.33-10), (12-6)/(86-6), (16-4)/(57.33-4)
    assert {c: v[1] for c, v in p.items()} == pytest.approx({"410100": 15.0, "410200": 7.5, "410300": 22.5})
    assert all(v[1] == v[2] for v in p.values())
    assert p["410300"][0] == pytest.approx(8.0)  # per-million value still shown: 16 / 2


def test_small_city_ranks_higher_on_the_size_adjusted_view(size_case):
    lt = size_case.execute(
        "select city_code, score, rank, score_size_adjusted, rank_size_adjusted from marts_candidate.league_table "
        "where period = '2018Q4' and scope = 'overall' order by city_code").fetchall()
    got = {c: (s, r, sa, ra) for c, s, r, sa, ra in lt}
    assert got["410100"] == pytest.approx((22.5, 1, 16.5, 2))                   # (30 + 15) / 2; (18 + 15) / 2
    assert got["410200"] == pytest.approx((round((0.3 * 600 / 17 + 7.5) / 2, 4), 3, 9.75, 3))
    assert got["410300"] == pytest.approx((round((0.3 * 900 / 17 + 22.5) / 2, 4), 2, 26.25, 1))
    sp = size_case.execute("select score, score_size_adjusted from marts_candidate.special_scores "
                           "where period = '2018Q4' and city_code = '410300' and special_code = 's1'").fetchone()
    assert sp == pytest.approx((round(0.3 * 900 / 17, 4), 30.0))
    act = size_case.execute("select score, score_size_adjusted, rank_size_adjusted from marts_candidate.scope_scores "
                            "where period = '2018Q4' and city_code = '410300' and scope = 'a1'").fetchone()
    assert act == pytest.approx((round((0.3 * 900 / 17 + 22.5) / 2, 4), 26.25, 1))


def test_sample_size_adjusted_view(sample_warehouse):
    con, _ = sample_warehouse
    ind = con.execute("""
        select
            count(*) filter (where i.score is distinct from i.score_size_adjusted
                and not (c.size_denominator = 'population' and i.score_basis = 'goalpost')) as wrongly_changed,
            count(*) filter (where i.score is distinct from i.score_size_adjusted) as changed,
            count(*) filter (where (i.score is null) != (i.score_size_adjusted is null)) as null_mismatch,
            count(*) filter (where i.score_size_adjusted not between 0 and 100) as out_of_range,
            count(distinct i.indicator_code) filter (where i.score is distinct from i.score_size_adjusted) as inds
        from marts_candidate.indicator_scores as i
        inner join seeds.indicators as c on i.indicator_code = c.indicator_code
    """).fetchone()
    wrongly_changed, changed, null_mismatch, out_of_range, inds = ind
    assert (wrongly_changed, null_mismatch, out_of_range) == (0, 0, 0)
    assert changed > 0 and 1 <= inds <= 4  # o2o centres, online retail sales, elderly communities, recycling sites
    lt = con.execute("select * from marts_candidate.league_table").df()
    assert lt.score_size_adjusted.notna().all() and lt.score_size_adjusted.between(0, 100).all()
    assert lt.rank_size_adjusted.between(1, 18).all()
    # competition ranking on the size-adjusted score, per (period, scope)
    expected = lt.groupby(["period", "scope"]).score_size_adjusted.rank(method="min", ascending=False)
    assert (expected.astype(int) == lt.rank_size_adjusted).all()
    last = lt[(lt.period == "2020Q4") & (lt.scope == "overall")]
    moved = int((last["rank"] != last.rank_size_adjusted).sum())
    assert 0 < moved <= 18
    # actions without a population-sized goalpost indicator keep their raw score
    for scope in ("transport", "energy", "finance"):
        part = lt[lt.scope == scope]
        assert (part.score == part.score_size_adjusted).all(), scope
