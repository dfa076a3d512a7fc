"""The words of the bulletin in Chinese and English, and the sentences built from a period's numbers."""

from __future__ import annotations

import pandas as pd

from transforms.publish.labels import LIGHT


def fmt_num(v: object, digits: int = 1, pct: bool = False) -> str:
    """A number for print: ``–`` for none, at most ``digits`` decimals, or a whole percentage."""
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return "–"
    return f"{float(v) * 100:.0f}%" if pct else f"{float(v):.{digits}f}"


TEXT: dict[str, dict] = {
    "zh": {
        "title": "河南省“互联网+”行动计划落实情况通报", "subtitle": "{period} 季度",
        "page": ["第 ", " 页 / 共 ", " 页"],
        "dataset_line": "数据集 {dataset} · 方法版本 {method}", "city": "城市", "new": "新",
        "headings": {"summary": "一、总体情况", "league": "二、总体排名", "map": "全省分布",
                     "heat": "三、十一大行动得分",
                     "movers": "四、名次变化较大的城市及原因", "laggards": "五、各行动得分末三位",
                     "evidence": "六、独立证据", "method": "七、方法与数据来源"},
        "league_head": ["名次", "变化", "城市", "得分", "名次区间", "信号灯", "进度状态", "覆盖率", "独立证据占比"],
        # column widths (fr): the last header, six characters, keeps one line; the statuses are four characters
        "league_widths": [0.6, 0.6, 1.2, 0.8, 0.9, 1.1, 1.3, 0.8, 1.2],
        "league_note": "名次变化与上一报告期相比(▲ 上升、▼ 下降、“新”为首次排名);名次区间为模拟排名的 5%–95% 区间;"
                       "信号灯跟随进度状态:● 绿灯 已达标或按期推进,◐ 黄灯 有所改善,◔ 橙灯 停滞或本期无新数据,"
                       "○ 红灯 倒退,– 灰 无得分;覆盖率为本期实际报送的权重占比。",
        "heat_key": "颜色由红(低)经黄到绿(高),格中为 0–100 分。行动:",
        "map_note": "各市总体得分:颜色由红(低)经黄到绿(高),灰色为无得分。",
        "mover": "{city} {arrow}{n}(第 {before} 名 → 第 {now} 名),总分变化 {delta} 分,主要来自:",
        "no_change_rows": "本期无指标得分变化,名次变化来自其他城市。", "others": "其余指标合计 {v} 分",
        "statuses": ["未启动", "推进中", "基本完成", "已完成"], "no_movers": "本期各城市名次均无变化。",
        "laggards_head": ["行动", "得分最低的三个城市(得分,信号灯)"],
        "summary_main": "本期 {n_ranked} 个省辖市有总体得分(共 {n} 个);全省总体得分中位数 {median} 分{prev}。"
                        "第一名 {top}({top_score} 分),末位 {bottom}({bottom_score} 分)。",
        "summary_prev": ",上期 {prev} 分",
        "summary_moves": "与上期相比,名次上升 {up} 个城市,下降 {down} 个,持平 {same} 个。",
        "summary_lights": "信号灯:{lights}。",
        "summary_nodata": "{n} 个城市本期没有新报送的数据(本期无新数据,橙灯):{cities}。",
        "summary_noscore": "{n} 个城市因数据不足本期无总体得分:{cities}。",
        "milestone": "本期为考核节点切换期:自 2019Q1 起,是否按期对照通往 2025 年目标的路径(起点为各市 2018Q4 的位置);"
                     "得分全期使用同一把尺子(到 2025 年目标的进度),不因节点切换而跳变。",
        "evidence_share": "总体得分中依据独立证据(官方完整名单、登记册)的比重为 {lo}–{hi}(中位数 {med})。",
        "evidence_counts": "各范围中,自报与独立证据一致 {agree} 项,相差超过 25 分 {differ} 项,"
                           "无独立证据 {no_independent_evidence} 项。",
        "evidence_differ": "总体得分上自报与独立证据相差超过 25 分的城市(自报 / 独立证据):",
        "method": ["得分 0–100:每个指标按通往 2025 年目标的进度计分(无目标的按 2018Q4 以前全省数据的固定区间),"
                   "逐级加权汇总到专项、行动和总体;自报部分与独立证据部分各占专项权重的一半。",
                   "进度状态:对照通往当前考核节点(2018 年;2019Q1 起为 2025 年)的路径,进展比 ≥ 0.95 为按期推进,"
                   "0.6–0.95 为有所改善,0–0.6 为停滞,< 0 为倒退;本期没有新数据的不算按期。",
                   "覆盖率为本期实际报送的权重占比;实报与沿用上期值合计不足 80% 的范围不计分、不排名。",
                   "完整的方法说明见数据集网页“方法说明”,各列释义见 datapackage.json。"],
        "sources": "数据来源:本期城市报告 {reports} 份;开放数据源 {feeds}。",
        "checksum": "数据集 {dataset},方法版本 {method};本期排名表 league_table.csv 的 SHA-256:{sha}",
    },
    "en": {
        "title": "Henan Internet+ action plan: quarterly bulletin", "subtitle": "Period {period}",
        "page": ["page ", " of ", ""],
        "dataset_line": "Dataset {dataset} · method version {method}", "city": "City", "new": "new",
        "headings": {"summary": "1. Summary", "league": "2. Overall league table", "map": "Across the province",
                     "heat": "3. The eleven actions",
                     "movers": "4. Largest rank changes and why", "laggards": "5. Lowest three per action",
                     "evidence": "6. Independent evidence", "method": "7. Method and sources"},
        "league_head": ["Rank", "Change", "City", "Score", "Interval", "Light", "Progress", "Coverage",
                        "Independent"],
        "league_widths": [0.6, 0.7, 1.3, 0.8, 0.9, 1.1, 1.6, 0.8, 0.9],  # "moderately improving" on one line
        "league_note": "Change against the previous period (▲ up, ▼ down, new = first ranked); interval = 5th–95th "
                       "percentile rank over the Monte Carlo draws; the light follows the progress status: ● green "
                       "achieved or on track, ◐ yellow moderately improving, ◔ orange stagnating or no new data, "
                       "○ red decreasing, – grey no score; coverage = weight share observed this period.",
        "heat_key": "Colour from red (low) through yellow to green (high); cells hold the 0–100 score. Actions: ",
        "map_note": "Overall score of each city: red (low) through yellow to green (high); grey = no score.",
        "mover": "{city} {arrow}{n} (rank {before} → {now}), overall score {delta} points, mostly from:",
        "no_change_rows": "No indicator score changed: the rank moved because other cities did.",
        "others": "all other indicators together {v} points",
        "statuses": ["not started", "in progress", "largely done", "completed"],
        "no_movers": "No city changed rank this period.",
        "laggards_head": ["Action", "Lowest three cities (score, light)"],
        "summary_main": "{n_ranked} of {n} cities have an overall score this period; the province median is {median} "
                        "points{prev}. First: {top} ({top_score}); last: {bottom} ({bottom_score}).",
        "summary_prev": " (previous period {prev})",
        "summary_moves": "Against the previous period {up} cities rose, {down} fell and {same} kept their rank.",
        "summary_lights": "Traffic lights: {lights}.",
        "summary_nodata": "{n} cities reported nothing new this period (no new data, orange): {cities}.",
        "summary_noscore": "{n} cities have no overall score for lack of data: {cities}.",
        "milestone": "This period the milestone changes: from 2019Q1 on-track status follows the path to the 2025 "
                     "targets (starting where each city stood in 2018Q4); scores stay on one yardstick (progress to "
                     "2025) throughout, so they do not jump at the change.",
        "evidence_share": "The share of the overall score resting on independent evidence (complete official lists, "
                          "registers) is {lo}–{hi} (median {med}).",
        "evidence_counts": "Across scopes, self-report and independent evidence agree {agree} times, differ by more "
                           "than 25 points {differ} times; {no_independent_evidence} have no independent evidence.",
        "evidence_differ": "Cities whose overall self-reported and independent scores differ by more than 25 points "
                           "(self / independent): ",
        "method": ["Scores 0–100: each indicator scores its progress on the path to its 2025 target (fixed "
                   "goalposts from the province's data up to 2018Q4 where there is no target), aggregated by weight "
                   "to specials, actions and the overall score; the self-reported and the independent part each "
                   "weigh half of a special.",
                   "Progress status: against the path to the current milestone (2018; 2025 from 2019Q1): progress "
                   "ratio ≥ 0.95 on track, 0.6–0.95 moderately improving, 0–0.6 stagnating, < 0 decreasing; a city "
                   "with no new data is never on track.",
                   "Coverage is the weight share observed this period; a scope under 80 % observed or carried "
                   "forward gets no score and no rank.",
                   "The full methodology is on the dataset's web page; datapackage.json documents every column."],
        "sources": "Sources: {reports} city reports of this period; open-data feeds {feeds}.",
        "checksum": "Dataset {dataset}, method version {method}; SHA-256 of this period's league_table.csv: {sha}",
    },
}


def _names(df: pd.DataFrame, lang: str) -> str:
    col = "city_name" if lang == "zh" else "city_name_en"
    return ("、" if lang == "zh" else ", ").join(str(x) for x in df[col])


def summary_lines(overall: pd.DataFrame, league: pd.DataFrame, period: str, lang: str) -> list[str]:
    """The summary: how many cities scored, median, first and last, rank moves, lights, missing data, milestone."""
    T = TEXT[lang]
    ranked = overall[overall.score.notna()]
    if ranked.empty:
        return [T["summary_noscore"].format(n=len(overall), cities=_names(overall, lang))]
    top, bottom = ranked.iloc[0], ranked.iloc[-1]
    col = "city_name" if lang == "zh" else "city_name_en"
    lines = [T["summary_main"].format(n_ranked=len(ranked), n=len(overall), median=fmt_num(ranked.score.median()),
                                      prev="", top=top[col], top_score=fmt_num(top.score), bottom=bottom[col],
                                      bottom_score=fmt_num(bottom.score))]
    rc = overall.rank_change.dropna()
    lines.append(T["summary_moves"].format(up=int((rc > 0).sum()), down=int((rc < 0).sum()), same=int((rc == 0).sum())))
    counts = overall.traffic_light.fillna("grey").value_counts()
    lights = [f"{LIGHT[k][2]} {LIGHT[k][0 if lang == 'zh' else 1]} {int(counts.get(k, 0))}" for k in LIGHT]
    lines.append(T["summary_lights"].format(lights=", ".join(lights) if lang == "en" else "、".join(lights)))
    nodata = overall[overall.on_track == "no_new_data"]
    if len(nodata):
        lines.append(T["summary_nodata"].format(n=len(nodata), cities=_names(nodata, lang)))
    noscore = overall[overall.score.isna()]
    if len(noscore):
        lines.append(T["summary_noscore"].format(n=len(noscore), cities=_names(noscore, lang)))
    if "is_milestone_change" in overall and bool(overall.is_milestone_change.fillna(False).any()):
        lines.append(T["milestone"])
    return lines


def method_lines(meta: dict, period: str, checksum: str, lang: str) -> list[str]:
    """Method in four sentences, the sources of the period, the dataset id and the checksum."""
    T = TEXT[lang]
    inputs = meta.get("inputs") or {}
    reports = [r for r in inputs.get("reports") or [] if r.get("period") == period]
    feeds = ", ".join(f"{f.get('feed_id')} ({f.get('status') or '–'})" for f in inputs.get("feeds") or []) or "–"
    return [*T["method"], T["sources"].format(reports=len(reports), feeds=feeds),
            T["checksum"].format(dataset=meta.get("dataset_id", ""), method=meta.get("method_version", ""),
                                 sha=checksum)]
