"""Absence rules, aggregation (arithmetic / geometric), coverage threshold and competition ranking, by hand."""

from __future__ import annotations

import math

import pytest
from scoring_helpers import indicator, row

CITIES4 = {"410100": 0.4, "410200": 0.3, "410300": 0.2, "410400": 0.1}
TREE = [("special", "s1", "a1", 1.0), ("special", "s2", "a1", 1.0), ("special", "s3", "a2", 1.0),
        ("action", "a1", "overall", 1.0), ("action", "a2", "overall", 1.0)]
MS = [indicator("ms_s1", "s1", "a1", kind="status", target_method="status"),
      indicator("ms_s2", "s2", "a1", kind="status", target_method="status"),
      indicator("ms_s3", "s3", "a2", kind="status", target_method="status")]
S = {0: "未启动", 1: "推进中", 2: "基本完成", 3: "已完成"}


def _status_rows(plan: dict[str, dict[str, tuple[int | None, int | None, int | None]]]) -> list[dict]:
    """plan: period -> city -> steps for (s1, s2, s3); None = left blank (not reported)."""
    rows = []
    for period, by_city in plan.items():
        for city, steps in by_city.items():
            for k, step in enumerate(steps, start=1):
                if step is None:
                    rows.append(row(city, period, f"ms_s{k}", status="not_reported"))
                else:
                    rows.append(row(city, period, f"ms_s{k}", step=S[step]))
    return rows


PLAN = {
    "2015Q4": {c: (0, 0, 0) for c in CITIES4},
    "2016Q4": {"410100": (3, 1, 3), "410200": (2, 2, 2), "410300": (2, 2, 2), "410400": (1, 1, 1)},
    "2017Q4": {"410100": (3, 3, 3), "410200": (3, 3, 1), "410300": (2, 2, 2), "410400": (2, 2, 3)},
    # 2019Q1: 410400 leaves s2 blank; its last report (2017Q4) is 5 quarters old -> not carried forward
    "2019Q1": {"410100": (3, 3, 3), "410200": (3, 3, 1), "410300": (2, 2, 2), "410400": (3, None, 3)},
}


def _scopes(con, period: str) -> dict[tuple[str, str], dict]:
    cur = con.execute("select * from intermediate.int_scope_scores where period = ?", [period])
    names = [d[0] for d in cur.description]
    return {(r["city_code"], r["scope"]): r for r in (dict(zip(names, t, strict=True)) for t in cur.fetchall())}


@pytest.fixture
def milestones(tiny):
    return tiny(cities=CITIES4, indicators=MS, weights=TREE, rows=_status_rows(PLAN))


def test_arithmetic_and_geometric(milestones):
    s = _scopes(milestones, "2016Q4")
    a1 = s[("410100", "a1")]
    assert a1["score_arithmetic"] == pytest.approx((100 + 33.333333) / 2)
    assert a1["score_geometric"] == pytest.approx(math.sqrt(100 * 33.333333))
    ov = s[("410100", "overall")]
    assert ov["score_arithmetic"] == pytest.approx(((100 + 33.333333) / 2 + 100) / 2)
    assert ov["score_geometric"] == pytest.approx(math.sqrt(math.sqrt(100 * 33.333333) * 100))
    assert ov["aggregation"] == "arithmetic" and ov["score"] == pytest.approx(round(ov["score_arithmetic"], 4))


def test_geometric_floor_for_zero_scores(milestones):
    s = _scopes(milestones, "2015Q4")  # every special 未启动 = 0 -> floored at 1 -> geometric 1
    assert s[("410100", "a1")]["score_geometric"] == pytest.approx(1.0)
    assert s[("410100", "a1")]["score_arithmetic"] == 0


def test_geometric_parameter_switches_the_published_score(tiny):
    con = tiny(cities=CITIES4, indicators=MS, weights=TREE, rows=_status_rows(PLAN),
               params={"aggregation": "geometric"})
    ov = _scopes(con, "2016Q4")[("410100", "overall")]
    assert ov["score"] == pytest.approx(math.sqrt(math.sqrt(100 * 33.333333) * 100), abs=1e-4)


def test_ties_use_competition_ranking_and_rank_change(milestones):
    s = _scopes(milestones, "2016Q4")
    # 410100: (66.67 + 100) / 2 = 83.33; 410200 and 410300: 66.67 each (a tie); 410400: 33.33
    ranks = {c: s[(c, "overall")]["rank"] for c in CITIES4}
    assert s[("410200", "overall")]["score"] == s[("410300", "overall")]["score"]
    ordered = sorted(ranks.values())
    assert ordered == [1, 2, 2, 4]
    assert ranks["410400"] == 4 and ranks["410200"] == ranks["410300"] == 2
    # 2017Q4 overall: 410100 100; 410200 (100 + 33.33)/2 = 66.67; 410300 66.67; 410400 (83.33 + 100)/2 = 91.67
    s2 = _scopes(milestones, "2017Q4")
    assert {c: s2[(c, "overall")]["rank"] for c in CITIES4} == {"410100": 1, "410200": 3, "410300": 3, "410400": 2}
    assert s2[("410400", "overall")]["rank_change"] == 2  # 4 -> 2
    assert s2[("410200", "overall")]["rank_change"] == -1  # 2 -> 3
    assert s[("410100", "overall")]["rank_change"] is None  # first ranked period: no previous rank


def test_not_reported_beyond_window_is_penalised_and_lowers_coverage(milestones):
    v = milestones.execute(
        "select value_status, absence_reason, score, observed_score from intermediate.int_indicator_scores "
        "where city_code = '410400' and period = '2019Q1' and indicator_code = 'ms_s2'").fetchone()
    assert v[0] == "not_reported" and v[1] == "blank" and v[2] == 0.0 and v[3] is None
    s = _scopes(milestones, "2019Q1")
    a1 = s[("410400", "a1")]
    # coverage of a1 = (1 + 0) / 2 = 0.5 < 0.8 -> no score, no rank; the special still enters with 0
    assert a1["coverage"] == pytest.approx(0.5) and not a1["has_score"] and a1["score"] is None
    assert a1["no_score_reason"] == "insufficient_data" and a1["rank"] is None
    assert a1["score_arithmetic"] == pytest.approx(50.0)  # (100 + 0) / 2, computed but not published
    ov = s[("410400", "overall")]
    assert ov["coverage"] == pytest.approx(0.75) and not ov["has_score"] and ov["traffic_light"] == "grey"
    # the three others are ranked among themselves (410200 and 410300 tie at 66.67)
    assert {c: s[(c, "overall")]["rank"] for c in ("410100", "410200", "410300")} == {
        "410100": 1, "410200": 2, "410300": 2}
    lt = milestones.execute(
        "select has_score, no_score_reason, score, rank from marts_candidate.league_table "
        "where period = '2019Q1' and city_code = '410400' and scope = 'overall'").fetchone()
    assert lt == (False, "insufficient_data", None, None)


def test_carry_forward_within_window(tiny):
    plan = {"2015Q4": {c: (0, 0, 0) for c in CITIES4},
            "2016Q4": {c: (1, 1, 1) for c in CITIES4},
            "2017Q4": {**{c: (2, 2, 2) for c in CITIES4}, "410400": (2, None, 2)}}
    con = tiny(cities=CITIES4, indicators=MS, weights=TREE, rows=_status_rows(plan))
    v = con.execute(
        "select value_status, carried_from_period, quarters_carried, score, source_row, file_id "
        "from marts_candidate.indicator_scores "
        "where city_code = '410400' and period = '2017Q4' and indicator_code = 'ms_s2'").fetchone()
    assert v[:4] == ("carried_forward", "2016Q4", 4, pytest.approx(33.333333))
    assert v[5] == "4104002016Q4"  # provenance points at the row the value came from
    a1 = _scopes(con, "2017Q4")[("410400", "a1")]
    # the carried value lowers observed coverage and is counted apart; together they still clear the threshold
    assert a1["coverage"] == pytest.approx(0.5) and a1["carried_forward_share"] == pytest.approx(0.5)
    assert a1["has_score"] and a1["no_score_reason"] is None
    st = con.execute("select on_track, traffic_light from intermediate.int_indicator_scores "
                     "where city_code = '410400' and period = '2017Q4' and indicator_code = 'ms_s2'").fetchone()
    assert st == ("no_new_data", "orange")  # a value carried forward is never on track
    flagged = con.execute("select is_carried_forward from marts_candidate.indicator_scores where city_code = '410400' "
                          "and period = '2017Q4' and indicator_code = 'ms_s2'").fetchone()[0]
    assert flagged


def test_exclude_rule_renormalises(tiny):
    con = tiny(cities=CITIES4, indicators=MS, weights=TREE, rows=_status_rows(PLAN),
               params={"missing_rule": "exclude"})
    s = _scopes(con, "2019Q1")
    # s2 dropped: a1 = s1 alone = 100
    assert s[("410400", "a1")]["score_arithmetic"] == pytest.approx(100.0)


def test_not_applicable_kinds(tiny):
    inds = [indicator("cargo", "s1", "a1", applies_to="410100"),  # applies to 郑州 only
            indicator("parks", "s1", "a1"),
            indicator("ms_s3", "s3", "a2", kind="status", target_method="status")]
    rows = []
    for p, k in (("2015Q4", 0), ("2016Q4", 1)):
        rows += [row("410100", p, "cargo", 10 + k), row("410200", p, "cargo", status="not_applicable"),
                 row("410100", p, "parks", 2 + k), row("410300", p, "parks", 1 + k),
                 *[row(c, p, "ms_s3", step=S[k]) for c in ("410100", "410200", "410300")]]
    # 410200 claims 不适用 for parks, which applies to it
    rows += [row("410200", "2015Q4", "parks", status="not_applicable"),
             row("410200", "2016Q4", "parks", status="not_applicable")]
    tree = [("special", "s1", "a1", 1.0), ("special", "s3", "a2", 1.0), ("action", "a1", "overall", 1.0),
            ("action", "a2", "overall", 1.0)]
    cities = {c: CITIES4[c] for c in ("410100", "410200", "410300")}
    con = tiny(cities=cities, indicators=inds, weights=tree, rows=rows)
    q = ("select value_status, absence_reason, is_scored, score from intermediate.int_indicator_scores "
         "where city_code = ? and period = '2016Q4' and indicator_code = ?")
    assert con.execute(q, ["410200", "cargo"]).fetchone() == ("not_applicable", "catalogue_not_applicable", False,
                                                              None)
    assert con.execute(q, ["410300", "cargo"]).fetchone()[0] == "not_applicable"
    assert con.execute(q, ["410200", "parks"]).fetchone() == ("not_reported", "city_claimed_not_applicable", True,
                                                              0.0)
    sp = con.execute("select indicators_applicable, coverage from intermediate.int_special_scores "
                     "where city_code = '410300' and period = '2016Q4' and special_code = 's1'").fetchone()
    assert sp == (1, 1.0)  # cargo does not count against 洛阳
    # with accept_city_not_applicable the claim is accepted
    con2 = tiny(cities=cities, indicators=inds, weights=tree, rows=rows,
                params={"accept_city_not_applicable": "true"})
    assert con2.execute(q, ["410200", "parks"]).fetchone()[:3] == (
        "not_applicable", "city_claimed_not_applicable_accepted", False)
