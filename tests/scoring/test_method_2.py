"""The rules of method 2.0, each on a hand-computed case: independent evidence from complete and partial lists, rare
counts, one yardstick across the 2019Q1 milestone change, no credit without new data, dated weight changes and the
reading of range targets."""

from __future__ import annotations

import pytest
from scoring_helpers import indicator, row

CITIES = {"410100": 0.5, "410200": 0.3, "410300": 0.2}
WEIGHTS = [("special", "s1", "a1", 1.0), ("special", "s2", "a1", 1.0), ("action", "a1", "overall", 1.0)]
QUARTERS = ["2015Q4", "2016Q1", "2016Q2", "2016Q3", "2016Q4", "2017Q1"]


def _cell(con, city: str, period: str, code: str) -> dict:
    cur = con.execute("select * from intermediate.int_indicator_scores where city_code = ? and period = ? "
                      "and indicator_code = ?", [city, period, code])
    names = [d[0] for d in cur.description]
    return dict(zip(names, cur.fetchone(), strict=True))


def _scope(con, city: str, period: str, scope: str) -> dict:
    cur = con.execute("select * from intermediate.int_scope_scores where city_code = ? and period = ? "
                      "and scope = ?", [city, period, scope])
    names = [d[0] for d in cur.description]
    return dict(zip(names, cur.fetchone(), strict=True))


def _list(code: str, completeness: str, complete_from: str = "", complete_to: str = "") -> dict:
    return dict(indicator_code=code, feed_id="f", program=code, completeness=completeness,
                complete_from=complete_from, complete_to=complete_to,
                absent_means="zero" if completeness == "complete" else "unknown", synthetic="false", note="")


@pytest.fixture
def evidence_case(tiny):
    """s1 = trade (the city's report) + zone (an official list, complete 2015Q4-2016Q4, partial after);
    s2 = pilot (a partial list). 郑州 (410100) is in the zone list from 2016Q1, 开封 (410200) in the pilot list."""
    inds = [indicator("trade", "s1", "a1"),
            indicator("zone", "s1", "a1", source="feed"),
            indicator("pilot", "s2", "a1", source="feed")]
    rows = []
    for k, p in enumerate(QUARTERS):
        for c, base in (("410100", 10), ("410200", 4), ("410300", 0)):
            rows.append(row(c, p, "trade", base + 2 * k))
    feeds = [dict(city_code="410100", period="2016Q1", indicator_code="zone", value=1.0),
             dict(city_code="410200", period="2016Q1", indicator_code="pilot", value=1.0)]
    lists = [_list("zone", "complete", "2015Q4", "2016Q4"), _list("pilot", "partial")]
    return tiny(cities=CITIES, indicators=inds, weights=WEIGHTS, rows=rows, feed_rows=feeds,
                seeds={"evidence_lists": lists})


def test_absence_from_a_complete_list_scores_zero(evidence_case):
    z = _cell(evidence_case, "410200", "2016Q2", "zone")
    assert (z["value"], z["value_status"], z["list_evidence"]) == (0, "reported", "absent_from_complete_list")
    assert z["is_true_zero"] and z["score"] == 0 and z["evidence"] == "independent"
    member = _cell(evidence_case, "410100", "2016Q2", "zone")
    # goalposts 0..1 over the reference period, extended to 2025: 0..3.33; a member scores 30
    assert member["list_evidence"] == "listed" and member["score"] == pytest.approx(30.0)
    # the list is complete only to 2016Q4: from 2017Q1 a city it does not name is unknown, a member stays one
    later = _cell(evidence_case, "410200", "2017Q1", "zone")
    assert (later["value"], later["value_status"], later["score_basis"]) == (None, "unknown", "unknown")
    assert later["list_evidence"] == "unknown_partial_list" and later["score"] is None
    assert _cell(evidence_case, "410100", "2017Q1", "zone")["score"] == pytest.approx(30.0)


def test_absence_from_a_partial_list_is_unknown_not_zero(evidence_case):
    p = _cell(evidence_case, "410300", "2016Q2", "pilot")
    assert p["value_status"] == "unknown" and p["value"] is None and not p["is_scored"]
    assert _cell(evidence_case, "410200", "2016Q2", "pilot")["value"] == 1
    # an unknown cell is not missing data: it lowers neither coverage nor the score
    s2 = evidence_case.execute("select count(*) from intermediate.int_special_scores where city_code = '410300' "
                               "and period = '2016Q2' and special_code = 's2'").fetchone()[0]
    assert s2 == 0  # nothing scored in s2 for 410300: the special drops out rather than scoring 0
    a1 = _scope(evidence_case, "410300", "2016Q2", "a1")
    assert a1["coverage"] == 1.0 and a1["has_score"]


def test_self_report_and_independent_evidence_weigh_half_each(evidence_case):
    trade = _cell(evidence_case, "410200", "2016Q2", "trade")["score"]
    zone = _cell(evidence_case, "410200", "2016Q2", "zone")["score"]
    sp = evidence_case.execute(
        "select score, self_report_score, independent_score, independent_share from intermediate.int_special_scores "
        "where city_code = '410200' and period = '2016Q2' and special_code = 's1'").fetchone()
    assert sp == pytest.approx((0.5 * trade + 0.5 * zone, trade, zone, 0.5))
    # 2017Q1: the independent part is unknown for 410200, so the self-report carries the special alone
    sp = evidence_case.execute(
        "select score, independent_score, independent_share from intermediate.int_special_scores "
        "where city_code = '410200' and period = '2017Q1' and special_code = 's1'").fetchone()
    assert sp == (pytest.approx(_cell(evidence_case, "410200", "2017Q1", "trade")["score"]), None, 0.0)
    ov = _scope(evidence_case, "410200", "2016Q2", "overall")
    # s2 has no score: a partial list names only members (all 1), so pilot has no variation and cannot rank cities;
    # the overall rests on s1 alone, half of it independent
    assert _cell(evidence_case, "410200", "2016Q2", "pilot")["score_basis"] == "no_variation"
    assert ov["independent_share"] == pytest.approx(0.5)
    assert ov["evidence_agreement"] in ("agree", "differ")
    lt = evidence_case.execute("select evidence_gap, self_report_score, independent_score from "
                               "marts_candidate.league_table where city_code = '410200' and period = '2016Q2' "
                               "and scope = 'a1'").fetchone()
    assert lt[0] == pytest.approx(lt[1] - lt[2], abs=1e-4)


def test_a_fractional_target_never_makes_an_indicator_binary(tiny):
    """A provincial target of 3 hospitals apportioned 1.5 / 0.9 / 0.6: below one unit for two cities, so the
    indicator is a rare count, scored on goalposts with as many levels as the counts have."""
    inds = [indicator("hospitals", "s1", "a1", target_method="apportioned", target_code="T1",
                      apportion_key="population")]
    counts = {"410100": (0, 1, 3), "410200": (0, 1, 2), "410300": (0, 0, 1)}
    rows = [row(c, p, "hospitals", v) for c, vals in counts.items()
            for p, v in zip(("2015Q4", "2016Q4", "2018Q4"), vals, strict=True)]
    con = tiny(cities=CITIES, indicators=inds, targets={"T1": 3}, weights=WEIGHTS[:1] + WEIGHTS[2:], rows=rows)
    t = con.execute("select city_code, apportioned_target_2018, is_rare_count from intermediate.int_city_targets "
                    "order by city_code").fetchall()
    assert [x[1] for x in t] == pytest.approx([1.5, 0.9, 0.6]) and all(x[2] for x in t)
    scores = con.execute("select city_code, score_basis, score from intermediate.int_indicator_scores "
                         "where period = '2018Q4' order by city_code").fetchall()
    assert {b for _, b, _ in scores} == {"goalpost"}
    # goalposts 0..3 extended to 0..10: 3, 2, 1 hospitals score 30, 20, 10 (not 100, 100, 100)
    assert [s for _, _, s in scores] == pytest.approx([30.0, 20.0, 10.0])
    # a target of 30 (15 / 9 / 6) is countable: scored on targets as before
    con = tiny(cities=CITIES, indicators=inds, targets={"T1": 30}, weights=WEIGHTS[:1] + WEIGHTS[2:], rows=rows)
    assert {b for (b,) in con.execute("select distinct score_basis from intermediate.int_indicator_scores "
                                      "where period = '2018Q4'").fetchall()} == {"target"}


@pytest.fixture
def yardstick_case(tiny):
    """A target, a goalpost indicator and a status item; 2019Q1 repeats 2018Q4 exactly, except that 410300 sends
    no 2019Q2 report at all."""
    inds = [indicator("parks", "s1", "a1", target_method="apportioned", target_code="T1", apportion_key="population"),
            indicator("platforms", "s2", "a1"),
            indicator("ms_s2", "s2", "a1", kind="status", target_method="status", weight=0.5)]
    data = {"410100": ((10, 30, 60), (1, 4, 9), ("未启动", "推进中", "已完成")),
            "410200": ((4, 10, 28), (0, 2, 6), ("未启动", "推进中", "基本完成")),
            "410300": ((2, 12, 14), (2, 3, 4), ("未启动", "基本完成", "基本完成"))}
    rows = []
    for c, (parks, platforms, steps) in data.items():
        for i, p in enumerate(("2015Q4", "2016Q4", "2018Q4")):
            rows += [row(c, p, "parks", parks[i]), row(c, p, "platforms", platforms[i]),
                     row(c, p, "ms_s2", step=steps[i])]
        # 2019Q1 = 2018Q4, sent again unchanged
        rows += [row(c, "2019Q1", "parks", parks[2]), row(c, "2019Q1", "platforms", platforms[2]),
                 row(c, "2019Q1", "ms_s2", step=steps[2])]
        if c != "410300":
            rows += [row(c, "2019Q2", "parks", parks[2] + 5), row(c, "2019Q2", "platforms", platforms[2] + 1),
                     row(c, "2019Q2", "ms_s2", step=steps[2])]
    return tiny(cities=CITIES, indicators=inds, targets={"T1": 100}, weights=WEIGHTS, rows=rows)


def test_unchanged_data_across_the_milestone_change_changes_no_score_or_rank(yardstick_case):
    q = ("select city_code, scope, score, rank from intermediate.int_scope_scores where period = ? "
         "order by city_code, scope")
    before, after = yardstick_case.execute(q, ["2018Q4"]).fetchall(), yardstick_case.execute(q, ["2019Q1"]).fetchall()
    assert before == after
    flags = yardstick_case.execute("select period, milestone_year, is_milestone_change from intermediate.int_periods "
                                   "where period in ('2018Q4', '2019Q1') order by period").fetchall()
    assert flags == [("2018Q4", 2018, False), ("2019Q1", 2025, True)]
    lt = yardstick_case.execute("select distinct is_milestone_change from marts_candidate.league_table "
                                "where period = '2019Q1'").fetchall()
    assert lt == [(True,)]


def test_nothing_new_is_never_on_track(yardstick_case):
    # 2019Q1 repeats 2018Q4: no progress on the path from the 2018 position to 2025
    for c in CITIES:
        st = _scope(yardstick_case, c, "2019Q1", "overall")
        assert st["achieved_share"] == pytest.approx(0.0) and st["on_track"] not in ("on_track", "achieved"), c
    # 410300 sent no 2019Q2 report: its values are carried forward, flagged, and it is not on track
    st = _scope(yardstick_case, "410300", "2019Q2", "overall")
    assert st["coverage"] == 0 and st["carried_forward_share"] == pytest.approx(1.0)
    assert st["on_track"] == "no_new_data" and st["trend_arrow"] == "→" and st["has_score"]
    cell = _cell(yardstick_case, "410300", "2019Q2", "parks")
    assert cell["value_status"] == "carried_forward" and cell["on_track"] == "no_new_data"
    # the cities that did report progress are told apart from it
    assert _scope(yardstick_case, "410100", "2019Q2", "overall")["on_track"] != "no_new_data"


def _lending_with_a_weight_change(tiny, weight: str, reason: str):
    """One special: a lending count (1, 3, 5 over 2015Q4-2017Q4) and a status item; lending's weight changes to
    ``weight`` from 2017Q1."""
    inds = [indicator("lending", "s1", "a1"), indicator("ms_s1", "s1", "a1", kind="status",
                                                        target_method="status")]
    rows = [row(c, p, "lending", v) for c in CITIES for p, v in (("2015Q4", 1), ("2016Q4", 3), ("2017Q4", 5))]
    rows += [row(c, p, "ms_s1", step="推进中") for c in CITIES for p in ("2015Q4", "2016Q4", "2017Q4")]
    change = [dict(indicator_code="lending", effective_from="2017Q1", field="weight", value=weight,
                   reason=reason, source="test")]
    return tiny(cities=CITIES, indicators=inds, weights=WEIGHTS[:1] + WEIGHTS[2:], rows=rows,
                seeds={"indicator_changes": change})


def test_a_dated_weight_change_applies_from_its_period(tiny):
    con = _lending_with_a_weight_change(tiny, "0", "policy reversed")
    before, after = _cell(con, "410100", "2016Q4", "lending"), _cell(con, "410100", "2017Q4", "lending")
    assert before["score_basis"] == "goalpost" and before["weight"] == 1 and before["change_reason"] is None
    assert after["score_basis"] == "context" and after["weight"] == 0 and after["change_reason"] == "policy reversed"
    assert _scope(con, "410100", "2017Q4", "a1")["score_arithmetic"] == pytest.approx(33.333333)  # ms_s1 alone


@pytest.mark.parametrize(("reading", "expected"), [("lower", 3.0), ("midpoint", 4.0), ("upper", 5.0)])
def test_range_targets_read_as_documented(tiny, reading, expected):
    inds = [indicator("hospitals", "s1", "a1", target_method="uniform", target_code="T1")]
    rows = [row(c, p, "hospitals", v) for c in CITIES for p, v in (("2015Q4", 0), ("2016Q4", 2))]
    con = tiny(cities=CITIES, indicators=inds, targets={"T1": 4}, weights=WEIGHTS[:1] + WEIGHTS[2:], rows=rows,
               params={"range_target_reading": reading})
    con.execute("update seeds.plan_targets set comparator = 'range', lower = '3', upper = '5'")
    from transforms import build

    build.build_models(con, reload_seeds=False, options={"mc_draws": "10"})
    got = con.execute("select distinct target_2018 from intermediate.int_city_targets").fetchall()
    assert got == [(expected,)]


def test_score_change_decomposes_exactly_into_indicator_contributions(yardstick_case):
    """410100 from 2019Q1 (= 2018Q4) to 2019Q2: parks 60 -> 65, platforms 9 -> 10, the status item unchanged. s1 =
    parks alone, s2 = (platforms * 1 + ms * 0.5) / 1.5, a1 = overall = (s1 + s2) / 2, so the effective weights are
    parks 1/2, platforms 1/3, ms_s2 1/6, and the contributions' changes add up to the score change."""
    con = yardstick_case
    # the exact effective weights (intermediate), the cause as published (the mart shows each scope as a row)
    rows = con.execute("select c.indicator_code, c.overall_weight_share, c.score, c.previous_score, "
                       "c.overall_weight_share * c.score - c.previous_overall_weight_share * c.previous_score, "
                       "m.cause, m.score_change "
                       "from intermediate.int_score_contributions as c "
                       "inner join marts_candidate.score_changes as m using (city_code, period, indicator_code) "
                       "where c.city_code = '410100' and c.period = '2019Q2' and m.scope = 'overall' "
                       "order by c.indicator_code").fetchall()
    got = {code: (w, s, p, c, cause) for code, w, s, p, c, cause, _ in rows}
    assert all(published == pytest.approx(c, abs=1e-6) for _, _, _, _, c, _, published in rows)
    assert got["parks"][0] == pytest.approx(1 / 2) and got["platforms"][0] == pytest.approx(1 / 3)
    assert got["ms_s2"][0] == pytest.approx(1 / 6) and got["ms_s2"][3] == 0 and got["ms_s2"][4] == "unchanged"
    for code in ("parks", "platforms"):
        w, s, p, c, cause = got[code]
        assert c == pytest.approx(w * (s - p)) and cause == "new_data"
    before, after = (_scope(con, "410100", p, "overall")["score_arithmetic"] for p in ("2019Q1", "2019Q2"))
    assert sum(v[3] for v in got.values()) == pytest.approx(after - before, abs=1e-12)


def test_a_dated_weight_change_to_another_weight_is_refused_by_name(tiny):
    """The rank intervals and the sensitivity analysis weigh an indicator alike in every period: a dated change to a
    weight other than 0 would make them disagree with the published scores, so the build stops and names it."""
    from transforms.build.scoreinputs import VaryingWeight

    with pytest.raises(VaryingWeight, match="lending"):
        _lending_with_a_weight_change(tiny, "0.5", "halved")
