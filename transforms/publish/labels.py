"""Chinese and English words for every status and code a reader sees (workbook, bulletin, site).

Why one home: the published tables keep stable English codes (``on_track``, ``green``, ``arithmetic``) for
analysts, but an official reads 按期推进 and 绿灯; the workbook, the bulletin and the page must say the same thing.
"""

from __future__ import annotations

from transforms.catalog import read_seed

# code -> (中文, English, plain-language meaning in Chinese, in English)
ON_TRACK: dict[str, tuple[str, str, str, str]] = {
    "achieved": ("已达标", "achieved", "已达到当前考核节点的目标", "the milestone target is reached"),
    "on_track": ("按期推进", "on track", "进展比 ≥ 0.95:按这个速度能按期达标",
                 "progress ratio ≥ 0.95: at this pace the milestone is met in time"),
    "moderately_improving": ("有所改善", "moderately improving", "进展比 0.6–0.95:在进步,但慢于所需速度",
                             "progress ratio 0.6–0.95: improving, slower than needed"),
    "stagnating": ("停滞", "stagnating", "进展比 0–0.6:几乎没有进展", "progress ratio 0–0.6: hardly moving"),
    "no_new_data": ("本期无新数据", "no new data", "本期没有本市新报送的数据(沿用上期值),不能算按期",
                    "nothing new was reported this period (values carried forward): never on track"),
    "decreasing": ("倒退", "decreasing", "进展比 < 0:比起点更差", "progress ratio < 0: worse than at the start"),
}
LIGHT: dict[str, tuple[str, str, str]] = {
    "green": ("绿灯", "green", "●"),
    "yellow": ("黄灯", "yellow", "◐"),
    "orange": ("橙灯", "orange", "◔"),
    "red": ("红灯", "red", "○"),
    "grey": ("灰(无得分)", "grey (no score)", "–"),
}
LIGHT_RULE: dict[str, tuple[str, str]] = {
    "green": ("已达标或按期推进", "achieved or on track"),
    "yellow": ("有所改善", "moderately improving"),
    "orange": ("停滞或本期无新数据", "stagnating or no new data"),
    "red": ("倒退", "decreasing"),
    "grey": ("数据不足,无得分", "not enough data: no score"),
}
EVIDENCE_AGREEMENT: dict[str, tuple[str, str]] = {
    "agree": ("一致", "agree"),
    "differ": ("不一致(差>25分)", "differ (> 25 points)"),
    "no_independent_evidence": ("无独立证据", "no independent evidence"),
    "no_self_report": ("无自报数据", "no self-report"),
}
NO_SCORE_REASON: dict[str, tuple[str, str]] = {
    "insufficient_data": ("数据不足(实报与沿用合计不足 80%)", "insufficient data (under 80 % observed or carried)"),
    "no_scored_indicator": ("无计分指标", "no scored indicator"),
}
AGGREGATION: dict[str, tuple[str, str]] = {
    "arithmetic": ("加权算术平均", "weighted arithmetic mean"),
    "geometric": ("加权几何平均", "weighted geometric mean"),
}
CAUSES: dict[str, tuple[str, str]] = {
    "new_data": ("新数据", "new data"),
    "carried_forward": ("沿用上期值", "carried forward"),
    "feed": ("开放数据变化", "feed changed"),
    "weight": ("权重变化", "weight changed"),
    "entered": ("新计入", "entered"),
    "left": ("不再计入", "left"),
    "unchanged": ("无变化", "unchanged"),
}
EVIDENCE_MEANING: dict[str, tuple[str, str]] = {
    "agree": ("自报得分与独立证据得分相差不超过 25 分", "self-reported and independent scores within 25 points"),
    "differ": ("自报得分与独立证据得分相差超过 25 分:请核对自报数据或名单",
               "self-reported and independent scores more than 25 points apart: check the report or the lists"),
    "no_independent_evidence": ("该范围没有官方名单或登记册可对照", "no official list or register covers this scope"),
    "no_self_report": ("该范围只有独立证据,没有城市自报数据",
                       "only independent evidence, no self-report, in this scope"),
}
BOOLEAN = {True: ("是", "yes"), False: ("否", "no")}

# column -> the code table whose words replace the code in a reader's copy
PAIR_STATUS = {"agree": ("一致(差距不超过 20%)", "agree (within 20 %)"),
               "mismatch": ("差距超过 20%", "differ by more than 20 %"),
               "report_only": ("仅有自报", "report only"), "feed_only": ("仅有名录", "registry only")}
CODED_COLUMNS: dict[str, dict] = {
    "on_track": ON_TRACK, "traffic_light": LIGHT, "evidence_agreement": EVIDENCE_AGREEMENT,
    "no_score_reason": NO_SCORE_REASON, "aggregation": AGGREGATION, "cause": CAUSES, "pair_status": PAIR_STATUS,
}


def label(column: str, value: object, lang: str = "zh") -> object:
    """The reader's word for ``value`` of ``column`` (Chinese by default); other values pass unchanged."""
    i = 0 if lang == "zh" else 1
    if isinstance(value, bool):
        return BOOLEAN[value][i]
    table = CODED_COLUMNS.get(column)
    if table is not None and isinstance(value, str) and value in table:
        return table[value][i]
    return value


def light_text(value: str | None, lang: str = "zh") -> str:
    """A symbol and a word beside each light, so colour is never the only signal."""
    if value is None or value not in LIGHT:
        return ""
    zh, en, sym = LIGHT[value]
    return f"{sym} {zh if lang == 'zh' else en}"


def action_order() -> dict[str, int]:
    """The plan's action order (``seeds/plan_actions.csv`` seq), ``overall`` first."""
    seq = {r["action_code"]: int(r["seq"]) for r in read_seed("plan_actions.csv")}
    return {"overall": -1, **seq}
