"""Deterministic, clearly SYNTHETIC sample reports from the 18 cities, 2015Q4 (baseline) to 2020Q4.

Why: the product must run end to end on a fresh clone with no real submissions. The numbers are made up
(fixed seed) but consistent with the plan: the cities' maker spaces add up to about 200 by 2018Q4, larger
cities do more, and some cities under- or over-achieve. Every file says it is synthetic.
"""

from __future__ import annotations

import csv
import json
import math
import random
from pathlib import Path
from typing import Any

import xlsxwriter

from transforms.catalog import STATUS_STEPS, TEMPLATE_VERSION, cities, indicators, read_seed

SEED = 20151008  # the plan's publication date
FIRST_YEAR, LAST_YEAR = 2015, 2020
SYNTHETIC_NOTE = "SYNTHETIC SAMPLE DATA — 合成示例数据,非真实填报"

# Province-level path for each report indicator: (2015 baseline, 2018, 2020) as totals (counts, amounts)
# or as city means (shares, levels). Apportioned indicators end near their plan target in 2018.
PATHS: dict[str, tuple[float, float, float]] = {
    "xborder_ecommerce_trade": (38.0, 104.0, 160.0),
    "ecommerce_parks": (6, 21, 27),
    "ecommerce_enterprise_share": (38.0, 66.0, 74.0),
    "ecommerce_demo_counties": (8, 30, 42),
    "o2o_experience_centres": (40, 160, 240),
    "online_retail_sales": (620.0, 1650.0, 2200.0),
    "logistics_info_platforms": (12, 40, 55),
    "smart_logistics_parks": (2, 10, 14),
    "smart_logistics_firms": (5, 21, 30),
    "express_terminals": (900, 5200, 7800),
    "air_cargo_throughput": (40.3, 51.5, 64.0),
    "maker_spaces": (35, 205, 260),
    "innovation_service_platforms": (15, 60, 80),
    "high_end_talent": (300, 5100, 7600),
    "mass_custom_demo_firms": (1, 10, 15),
    "smart_factory_pilots": (3, 20, 30),
    "national_smart_mfg_pilots": (1, 9, 13),
    "networked_mfg_demo_firms": (5, 30, 45),
    "service_mfg_firms": (2, 11, 16),
    "precision_ag_demo_parks": (10, 48, 70),
    "ag_online_sales_demo_sites": (20, 120, 170),
    "traceability_pilot_counties": (0, 8, 12),
    "traceability_categories": (0.6, 2.4, 2.9),
    "traceability_coverage": (22.0, 64.0, 76.0),
    "third_party_payment_institutions": (1, 3, 4),
    "p2p_lending_platforms": (0, 4, 2),
    "equity_crowdfunding_platforms": (0, 2, 3),
    "online_finance_share": (35.0, 62.0, 75.0),
    "online_gov_services_share": (20.0, 65.0, 88.0),
    "convenience_service_platforms": (10, 45, 60),
    "smart_hospitals": (0, 4, 9),
    "smart_health_firms": (0, 3, 5),
    "smart_elderly_communities": (5, 60, 110),
    "schools_online_share": (40.0, 78.0, 92.0),
    "smart_scenic_areas": (1, 8, 14),
    "social_security_card_coverage": (55.0, 88.0, 96.0),
    "online_tax_share": (45.0, 82.0, 92.0),
    "transit_e_payment_share": (30.0, 70.0, 95.0),
    "traffic_data_integration_share": (25.0, 75.0, 90.0),
    "smart_signal_share": (8.0, 30.0, 45.0),
    "smart_energy_projects": (3, 18, 30),
    "smart_meter_share": (55.0, 90.0, 98.0),
    "direct_power_trading_users": (40, 320, 520),
    "env_monitoring_stations": (120, 420, 560),
    "pollution_source_online_share": (60.0, 88.0, 96.0),
    "recycling_online_sites": (50, 400, 700),
    "smartphone_output": (2.0, 3.1, 2.6),
    "wearable_device_output": (20.0, 320.0, 520.0),
    "industrial_robot_output": (300, 2400, 4200),
    "smart_home_firms": (20, 70, 95),
}
# Output concentrated in a few cities (a share of the province total per city; the rest by population).
CONCENTRATED = {
    "xborder_ecommerce_trade": {"410100": 0.82, "411300": 0.04, "410300": 0.04},
    "smartphone_output": {"410100": 0.9, "411500": 0.04, "411300": 0.03},
    "air_cargo_throughput": {"410100": 1.0},
    "p2p_lending_platforms": {"410100": 0.7, "410300": 0.2},
    "equity_crowdfunding_platforms": {"410100": 0.8, "410300": 0.2},
    "third_party_payment_institutions": {"410100": 0.8, "410300": 0.2},
}


def periods() -> list[str]:
    """Quarters from the 2015Q4 baseline to 2020Q4."""
    out = ["2015Q4"]
    out += [f"{y}Q{q}" for y in range(FIRST_YEAR + 1, LAST_YEAR + 1) for q in range(1, 5)]
    return out


def _t(period: str) -> float:
    """Years since 2015Q4 as a float."""
    y, q = int(period[:4]), int(period[-1])
    return (y - 2015) + (q - 4) / 4


def _path_value(p: tuple[float, float, float], t: float) -> float:
    b, m18, m20 = p
    if t <= 3:
        return b + (m18 - b) * (t / 3) ** 1.15
    return m18 + (m20 - m18) * ((t - 3) / 2)


def _population_shares() -> dict[str, float]:
    rows = read_seed("apportionment_keys.csv")
    return {r["city_code"]: float(r["share"]) for r in rows}


def _indicator_value(ind: dict, city_code: str, base: float, e: float,
                     shares: dict[str, float]) -> tuple[float | None, str]:
    """The reported value of one applicable indicator: a share capped at 100 (or 3 categories), else the
    province's path split by population (or by the concentration of CONCENTRATED) and the city's effort."""
    code = ind["indicator_code"]
    if ind["kind"] == "share" or code == "traceability_categories":
        cap = 3.0 if code == "traceability_categories" else 100.0
        value = min(cap, max(0.0, base * (0.85 + 0.3 * (e - 0.7))))
        return (round(value) if code == "traceability_categories" else round(value, 1)), "reported"
    conc = CONCENTRATED.get(code)
    if conc is not None:
        rest = 1 - sum(conc.values())
        share = conc.get(city_code, rest * shares[city_code] / sum(v for k, v in shares.items() if k not in conc))
    else:
        share = shares[city_code]
    v = base * share * e
    return (float(math.floor(v + 0.5)) if ind["kind"] == "count" else round(v, 2)), "reported"


def generate_rows() -> list[dict]:
    """All sample report items, one dict per (city, period, item), deterministic."""
    rng = random.Random(SEED)
    shares = _population_shares()
    inds = [i for i in indicators() if i["source"] in ("report", "both")]
    # a persistent 'effort' per city and action (how hard the city pushes), and per-city reporting habits
    actions = sorted({i["action_code"] for i in inds})
    effort = {(c.code, a): math.exp(rng.gauss(0, 0.28)) for c in cities() for a in actions}
    pace = {c.code: rng.uniform(0.75, 1.25) for c in cities()}
    rows: list[dict] = []
    for c in cities():
        for period in periods():
            t = _t(period)
            for ind in inds:
                code = ind["indicator_code"]
                if ind["kind"] == "status":
                    continue
                applies = ind["applies_to"] == "all" or c.code in ind["applies_to"].split("|")
                e = effort[(c.code, ind["action_code"])]
                base = _path_value(PATHS[code], min(t * pace[c.code], t + 1.0))
                value, status = _indicator_value(ind, c.code, base, e, shares) if applies else (None, "not_applicable")
                rows.append(dict(city_code=c.code, period=period, kind="quantity", code=code,
                                 value=value, value_status=status, unit=ind["unit"]))
            for ind in inds:
                if ind["kind"] != "status":
                    continue
                applies = ind["applies_to"] == "all" or c.code in ind["applies_to"].split("|")
                e = effort[(c.code, ind["action_code"])]
                progress = t * pace[c.code] * e / 5 * 4  # 0..~4 over five years
                stage = 0 if t == 0 else min(3, int(progress + 0.5))
                rows.append(dict(city_code=c.code, period=period, kind="status", code=ind["indicator_code"],
                                 value=None, value_status="reported" if applies else "not_applicable",
                                 status=STATUS_STEPS[stage] if applies else ""))
    _stocks_never_fall(rows, {i["indicator_code"] for i in inds if i["measure"] == "stock"})
    # a few cities miss a few cells (not reported), deterministic
    for r in rows:
        if r["kind"] == "quantity" and r["value_status"] == "reported" and rng.random() < 0.01:
            r["value"] = None
            r["value_status"] = "not_reported"
    return rows


def _stocks_never_fall(rows: list[dict], stock: set[str]) -> None:
    """Enforce monotone cumulative counts per city and indicator."""
    last: dict[tuple[str, str], float] = {}
    for r in rows:
        if r["code"] in stock and r["value"] is not None:
            key = (r["city_code"], r["code"])
            r["value"] = max(r["value"], last.get(key, 0.0))
            last[key] = r["value"]


def _fmt(v: float | None, status: str) -> str:
    if status == "not_applicable":
        return "不适用"
    if v is None:
        return ""
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _write_json(path: Path, city: Any, period: str, submitter: str, items: list[dict]) -> None:
    doc = {
        "template_version": TEMPLATE_VERSION, "city_code": city.code, "city_name": city.name_zh,
        "period": period, "submitter": submitter, "note": SYNTHETIC_NOTE,
        "indicators": [
            {"code": r["code"],
             "value": ("不适用" if r["value_status"] == "not_applicable" else r["value"]),
             "unit": r["unit"], "city_target_2018": None, "city_target_2025": None, "note": ""}
            for r in items if r["kind"] == "quantity"],
        "milestones": [
            {"special_code": r["code"][3:], "status": r["status"] or "不适用", "evidence": ""}
            for r in items if r["kind"] == "status"],
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")


def _write_csv(path: Path, city: Any, period: str, items: list[dict], names: dict, specials: dict) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["模板版本", "城市代码", "报告期", "类型", "代码", "名称", "单位", "本期数值",
                    "本市目标2018", "本市目标2025", "推进状态", "佐证材料", "备注"])
        for r in items:
            if r["kind"] == "quantity":
                name = names[r["code"]]["name_zh"]
                w.writerow([TEMPLATE_VERSION, city.code, period, "指标", r["code"], name,
                            r["unit"], _fmt(r["value"], r["value_status"]), "", "", "", "", ""])
            else:
                sc = r["code"][3:]
                w.writerow([TEMPLATE_VERSION, city.code, period, "专项", sc, specials[sc]["name_zh"], "", "",
                            "", "", r["status"] or "不适用", "", ""])


def _write_xlsx(path: Path, city: Any, period: str, submitter: str, items: list[dict], names: dict,
                specials: dict) -> None:
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"title": f"{city.name_zh} {period} 互联网+进展报告", "comments": SYNTHETIC_NOTE,
                       "created": __import__("datetime").datetime(2021, 1, 1)})
    cover = wb.add_worksheet("封面")
    for i, (k, v) in enumerate([("模板版本", TEMPLATE_VERSION), ("城市代码", city.code), ("城市", city.name_zh),
                                ("报告期", period), ("填报单位", submitter), ("填报人", "示例"),
                                ("说明", SYNTHETIC_NOTE)]):
        cover.write_string(i, 0, k)
        cover.write_string(i, 1, v)
    ws = wb.add_worksheet("指标")
    ws.write_row(0, 0, ["指标代码", "指标名称", "单位", "本期数值", "本市目标2018", "本市目标2025", "备注"])
    for n, r in enumerate((r for r in items if r["kind"] == "quantity"), start=1):
        ws.write_string(n, 0, r["code"])
        ws.write_string(n, 1, names[r["code"]]["name_zh"])
        ws.write_string(n, 2, r["unit"])
        if r["value"] is not None:
            ws.write_number(n, 3, r["value"])
        elif r["value_status"] == "not_applicable":
            ws.write_string(n, 3, "不适用")
    ms = wb.add_worksheet("专项进展")
    ms.write_row(0, 0, ["专项代码", "专项名称", "推进状态", "佐证材料"])
    for n, r in enumerate((r for r in items if r["kind"] == "status"), start=1):
        sc = r["code"][3:]
        ms.write_row(n, 0, [sc, specials[sc]["name_zh"], r["status"] or "不适用", ""])
    wb.add_worksheet("填报说明").write_string(0, 0, SYNTHETIC_NOTE)
    wb.close()


def write_samples(out_dir: Path) -> list[Path]:
    """Write one report per city and period into ``out_dir/<city_code>/``; xlsx, csv and json in turn."""
    names = {i["indicator_code"]: i for i in indicators()}
    specials = {s["special_code"]: s for s in read_seed("plan_specials.csv")}
    by_key: dict[tuple[str, str], list[dict]] = {}
    for r in generate_rows():
        by_key.setdefault((r["city_code"], r["period"]), []).append(r)
    written: list[Path] = []
    for ci, c in enumerate(cities()):
        for pi, period in enumerate(periods()):
            items = by_key[(c.code, period)]
            fmt = ("xlsx", "csv", "json")[(ci + pi) % 3]
            d = out_dir / c.code
            d.mkdir(parents=True, exist_ok=True)
            path = d / f"{c.code}_{period}.{fmt}"
            submitter = f"{c.name_zh}发展改革委"
            if fmt == "json":
                _write_json(path, c, period, submitter, items)
            elif fmt == "csv":
                _write_csv(path, c, period, items, names, specials)
            else:
                _write_xlsx(path, c, period, submitter, items, names, specials)
            written.append(path)
    return written


def main() -> None:
    """``python -m tools.samples [OUT_DIR]``: write the sample reports."""
    import sys

    from transforms.core.paths import data_paths

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else data_paths().samples / "reports"
    files = write_samples(out)
    print(f"wrote {len(files)} sample report files to {out}")

