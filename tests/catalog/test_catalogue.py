"""The plan as data: the seeds must agree with the plan text and with each other."""

from __future__ import annotations

import csv
import re
from collections import Counter

import pytest

from transforms.core.paths import REPO_ROOT, SEEDS_DIR

PLAN_TEXT = REPO_ROOT.parent / "shared" / "seed" / "henan-internet-plus-plan-2015.txt"  # the plan as published


def seed(name: str) -> list[dict[str, str]]:
    with open(SEEDS_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def plan_text() -> str:
    return PLAN_TEXT.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def annex(plan_text: str) -> str:
    return plan_text.split("附件重点工作分工", 1)[1]


def test_every_seed_row_has_the_header_width() -> None:
    for path in SEEDS_DIR.glob("*.csv"):
        with open(path, encoding="utf-8", newline="") as f:
            widths = {len(r) for r in csv.reader(f)}
        assert len(widths) == 1, f"{path.name} has ragged rows: {widths}"


def test_eleven_scored_actions_and_two_unscored(annex: str) -> None:
    actions = seed("plan_actions.csv")
    scored = [a for a in actions if a["scored"] == "true"]
    assert len(scored) == 11
    assert {a["name_zh"] for a in scored} >= {"电子商务", "人工智能", "智慧能源", "绿色生态"}
    unscored = {a["action_code"] for a in actions if a["scored"] == "false"}
    assert unscored == {"coordination", "foundation"}
    for a in actions:
        assert a["reason"], a["action_code"]
        assert a["annex_quote"] in annex, a["annex_quote"]
    assert len({a["action_code"] for a in actions}) == len(actions)


def test_all_43_specials_match_the_annex(annex: str) -> None:
    specials = seed("plan_specials.csv")
    assert len(specials) == 43
    per_action = Counter(s["action_code"] for s in specials)
    assert per_action == {"ecommerce": 5, "logistics": 3, "innovation": 3, "manufacturing": 4, "agriculture": 3,
                          "finance": 4, "services": 9, "transport": 3, "energy": 3, "ecology": 3, "ai": 3}
    for s in specials:
        # the annex row is sequence + name + lead units + participating units, concatenated
        row = f"{s['seq']}{s['name_zh']}{s['lead_units']}{s['lead_note']}{s['participating_units']}"
        assert s["annex_quote"] == row
        assert s["annex_quote"] in annex, s["special_code"]
        assert s["lead_units"], s["special_code"]


def test_key_projects_are_verbatim(plan_text: str) -> None:
    specials = seed("plan_specials.csv")
    with_kp = [s for s in specials if s["key_projects_zh"]]
    assert len(with_kp) >= 30
    for s in with_kp:
        assert f"{s['name_zh']}:{s['key_projects_zh']}" in plan_text, s["special_code"]


def test_every_target_quote_occurs_in_the_plan_text(plan_text: str) -> None:
    targets = seed("plan_targets.csv")
    missing = [t["target_code"] for t in targets if t["quote"] not in plan_text]
    assert not missing


def test_quantified_2018_targets_are_complete_and_consistent() -> None:
    targets = seed("plan_targets.csv")
    q2018 = [t for t in targets if t["milestone_year"] == "2018" and t["target_kind"] == "quantified"]
    assert len(q2018) > 20
    for t in q2018:
        value = float(t["value"])
        assert t["unit"], t["target_code"]
        # the number in the row is the number in the quote
        numbers = {float(n) for n in re.findall(r"\d+(?:\.\d+)?", t["quote"].replace("2018", ""))}
        if t["comparator"] == "range":
            assert float(t["lower"]) in numbers and float(t["upper"]) in numbers, t["target_code"]
            assert value == (float(t["lower"]) + float(t["upper"])) / 2
            assert "—" in t["quote"]
        else:
            assert value in numbers, t["target_code"]
        if t["comparator"] == "about":
            assert "左右" in t["quote"]
        if t["comparator"] == "more_than":
            assert "超过" in t["quote"]
        if t["comparator"] == "at_least":
            assert "以上" in t["quote"]
    assert any(t["milestone_year"] == "2025" for t in targets)


def test_every_special_has_a_city_level_indicator() -> None:
    specials = {s["special_code"] for s in seed("plan_specials.csv")}
    inds = seed("indicators.csv")
    measured = {i["special_code"] for i in inds if i["kind"] != "status" and float(i["weight"]) > 0}
    # a special without a scored quantitative indicator has had its indicator retired by review, with the reason
    retired = {i["special_code"]: i["review_note"] for i in inds if i["target_method"] == "retired"}
    assert specials - measured <= set(retired) and all("retired" in retired[s] for s in specials - measured)
    assert specials <= {i["special_code"] for i in inds if i["kind"] == "status"}
    codes = [i["indicator_code"] for i in inds]
    assert len(codes) == len(set(codes))
    for i in inds:
        assert i["direction"] in {"higher", "lower"}
        assert i["kind"] in {"count", "share", "amount", "status"}
        assert i["source"] in {"report", "feed", "both"}


def test_targets_point_at_indicators_that_measure_them() -> None:
    inds = {i["indicator_code"]: i for i in seed("indicators.csv")}
    for t in seed("plan_targets.csv"):
        if t["target_kind"] == "quantified":
            ind = inds[t["indicator_code"]]
            assert ind["target_code"] == t["target_code"]
            assert ind["special_code"] == t["special_code"]
            assert ind["unit"] == t["unit"], t["target_code"]


def test_cities_are_the_18_gbt2260_codes() -> None:
    cities = seed("cities.csv")
    codes = [c["city_code"] for c in cities]
    assert len(codes) == 18 and codes[0] == "410100" and codes[-1] == "419001"
    real = {r["code"] for r in csv.DictReader(open(PLAN_TEXT.parents[1] / "realdata" /
                                                    "henan_admin_codes_gbt2260_2015_2020.csv", encoding="utf-8"))}
    assert set(codes) <= real
    aliases = [a for c in cities for a in c["aliases"].split("|")]
    assert len(aliases) == len(set(aliases)), "an alias names two cities"
    counties = seed("directly_administered_counties.csv")
    assert {c["parent_city_code"] for c in counties} <= set(codes)
    assert len({c["county_code"] for c in counties if not c["valid_to"]}) == 10


def test_apportionment_shares_sum_to_one() -> None:
    keys = seed("apportionment_keys.csv")
    assert len(keys) == 18
    assert abs(sum(float(k["share"]) for k in keys) - 1) < 1e-4
    # every key is a published figure (never an equal split of a remainder): no two cities share a value
    assert all(k["method"] in {"reported", "provincial_communique"} for k in keys)
    assert len({k["value"] for k in keys}) == 18
    assert sum(int(k["value"]) for k in keys) == 99365519  # the province's 七普 total in ../shared/realdata
