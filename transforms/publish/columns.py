"""The words of the published dataset: each table's and each column's title and description in Chinese and English.

One place for them, because the same text goes into datapackage.json, the DuckDB comments of the analysts'
warehouse, the Excel header notes, the site's legend and docs/data_dictionary.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Doc:
    """Chinese and English title and description of a table or column."""

    title_zh: str
    title_en: str
    desc_zh: str
    desc_en: str

    @property
    def title(self) -> str:
        return f"{self.title_zh} / {self.title_en}"

    @property
    def description(self) -> str:
        return f"{self.desc_zh} / {self.desc_en}"


TABLES: dict[str, Doc] = {
    "league_table": Doc(
        "排名表", "League table",
        "每个报告期、城市和范围(总体或某一行动)一行;得分 0–100,按报告期和范围排名。",
        "One row per (period, city, scope); scope is 'overall' or an action code; score 0-100, ranked per period "
        "and scope.",
    ),
    "scope_scores": Doc(
        "范围得分", "Scope scores",
        "每个报告期、城市和范围(总体或某一行动)一行:算术与几何平均得分、覆盖率门槛、进度状态。",
        "One row per (period, city, scope); scope is 'overall' or an action code: arithmetic and geometric scores, "
        "coverage threshold, progress status.",
    ),
    "special_scores": Doc(
        "专项得分", "Special scores",
        "每个报告期、城市和专项一行,含已报告指标的覆盖率。",
        "One row per (period, city, special), with the coverage of reported indicators.",
    ),
    "indicator_scores": Doc(
        "指标得分", "Indicator scores",
        "每个报告期、城市和指标一行:数值、目标、得分以及数据来源(报告文件、工作表、行号或开放数据快照)。",
        "One row per (period, city, indicator): value, target, score and provenance (report file, sheet, row, or "
        "feed snapshot).",
    ),
    "score_changes": Doc(
        "得分变化原因", "Score changes",
        "每个报告期、城市、范围和指标一行:该指标对得分的贡献及其相对上一期的变化(得分效应与权重效应),"
        "并注明原因;同一范围的变化之和等于算术得分的变化。",
        "One row per (period, city, scope, indicator): the indicator's contribution to the scope's arithmetic score "
        "and its change since the previous period (score effect and weight effect), with the cause; the changes "
        "of a scope add up to the change of its arithmetic score.",
    ),
    "evidence_pairs": Doc(
        "自报与独立数据对照", "Self-report against independent data",
        "每个报告期、城市和一对同一数量的自报值与独立值一行(目前:众创空间的城市报告与省级名录,年末),"
        "差距超过 20% 标为 mismatch。",
        "One row per (period, city, pair of a reported and an independent value of the same quantity; today maker "
        "spaces in the city's report and in the provincial registry, year-end); a gap above 20 % is a mismatch.",
    ),
    "coherence_audit": Doc(
        "统计一致性审查", "Coherence audit",
        "每个报告期的统计审查(JRC):指标与所属专项、行动和总体得分的相关系数;各行动内专项及总体内行动的"
        "Cronbach α、主成分分析;以及负相关、与总体不相关、α 偏低等标记。",
        "The statistical audit per period (JRC): correlations of each indicator with its special, action and the "
        "overall score; Cronbach's alpha and PCA of each action's specials and of the overall score's actions; "
        "flags for negative correlations, actions uncorrelated with the overall score and low alpha.",
    ),
    "rank_sensitivity": Doc(
        "排名敏感性", "Rank sensitivity",
        "每个报告期、城市、名次类型和方法选择一行:总体名次方差中由该选择解释的一阶与总效应 Sobol 指数"
        "(SALib,Saltelli/Jansen 估计),选择包括权重、汇总方法、缺失规则、自报状态事项、独立证据权重、"
        "异常值处理、计分区间、稀有计数规则。",
        "One row per (period, city, rank basis, choice): the first-order and total Sobol indices of the overall "
        "rank's variance due to the choice (SALib, Saltelli/Jansen estimators): weights, aggregation, missing-data "
        "rule, self-declared status items, weight of the independent evidence, outlier treatment, goalposts, "
        "rare-count rule.",
    ),
    "rank_uncertainty": Doc(
        "名次不确定性", "Rank uncertainty",
        "每个报告期、城市和范围一行:扰动各项方法选择后模拟名次的中位数与 5%–95% 区间(排名表的名次区间来自这里),"
        "原始名次与按人口调整名次各一组。",
        "One row per (period, city, scope): median and 5th-95th percentile of the ranks simulated with perturbed "
        "method choices (the league table's rank interval comes from here), for the raw and the size-adjusted rank.",
    ),
}

COLUMNS: dict[str, Doc] = {
    "draws": Doc("模拟次数", "Draws", "不确定性模拟的次数。",
                 "Number of Monte Carlo draws of the uncertainty analysis."),
    "seed": Doc("随机种子", "Seed", "模拟或抽样所用的随机种子(同一种子,同一结果)。",
                "Random seed of the simulation or sample (same seed, same result)."),
    "rank_basis": Doc("名次类型", "Rank basis", "raw 原始名次或 size_adjusted 按人口调整名次。",
                      "raw or size_adjusted rank."),
    "choice": Doc("方法选择", "Choice",
                  "weights 权重、aggregation 汇总方法、missing_rule 缺失规则、status_items 自报状态事项、"
                  "independent_weight 独立证据权重、outlier_treatment 异常值处理、goalposts 计分区间、"
                  "rare_counts 稀有计数规则。",
                  "weights, aggregation, missing_rule, status_items, independent_weight, outlier_treatment, "
                  "goalposts, rare_counts."),
    "first_order": Doc("一阶指数", "First-order index", "该选择单独解释的名次方差比例 S_i。",
                       "S_i: share of the rank's variance due to the choice alone."),
    "first_order_conf": Doc("一阶指数置信半宽", "First-order CI", "S_i 的 95% 自助法置信区间半宽。",
                            "Half-width of the 95 % bootstrap interval of S_i."),
    "total_order": Doc("总效应指数", "Total-order index", "该选择及其交互作用解释的名次方差比例 S_Ti。",
                       "S_Ti: share of the rank's variance due to the choice with all its interactions."),
    "total_order_conf": Doc("总效应置信半宽", "Total-order CI", "S_Ti 的 95% 自助法置信区间半宽。",
                            "Half-width of the 95 % bootstrap interval of S_Ti."),
    "rank_variance": Doc("名次方差", "Rank variance", "模型评估中名次的方差(0 表示名次从不变化)。",
                         "Variance of the rank over the evaluations (0: the rank never moves)."),
    "evaluations": Doc("模型评估次数", "Evaluations", "敏感性分析的模型评估次数 N×(选择数+2)。",
                       "Model evaluations of the analysis, N x (choices + 2)."),
    "median_rank_size_adjusted": Doc("调整后名次中位数", "Median size-adjusted rank",
                                     "不确定性模拟中按人口调整名次的中位数。",
                                     "Median size-adjusted rank across the uncertainty simulation."),
    "rank_p05_size_adjusted": Doc("调整后名次 5% 分位", "Size-adjusted rank, 5th percentile",
                                  "按人口调整名次的 5% 分位(较好一端)。",
                                  "5th percentile of the size-adjusted rank."),
    "rank_p95_size_adjusted": Doc("调整后名次 95% 分位", "Size-adjusted rank, 95th percentile",
                                  "按人口调整名次的 95% 分位(较差一端)。",
                                  "95th percentile of the size-adjusted rank."),
    "item_level": Doc("对象层级", "Item level", "indicator 指标、special 专项、action 行动。",
                      "indicator, special or action: what the measure is about."),
    "item_code": Doc("对象代码", "Item code", "指标、行动代码,或一对代码 a|b(两两相关)。",
                     "Indicator or action code, or a pair a|b for a pairwise correlation; empty for a scope measure."),
    "measure": Doc("审查量", "Measure",
                   "corr_with_special、corr_with_action、corr_with_overall、cronbach_alpha、pca_eigenvalue_1..3、"
                   "pca_variance_explained_1、pair_correlation、negative_pairs。",
                   "corr_with_special, corr_with_action, corr_with_overall, cronbach_alpha, pca_eigenvalue_1..3, "
                   "pca_variance_explained_1, pair_correlation, negative_pairs."),
    "is_flagged": Doc("是否标记", "Is flagged", "该结果触发审查标记。", "The result raises an audit flag."),
    "flag": Doc("标记", "Flag",
                "negative_within_scope 范围内负相关、negative_with_parent 与上级负相关、"
                "uncorrelated_with_overall 与总体不相关(|r|<0.3)、low_alpha α<0.7。",
                "negative_within_scope, negative_with_parent, uncorrelated_with_overall (|r| < 0.3), low_alpha "
                "(alpha < 0.7)."),
    "n_cities": Doc("城市数", "Cities", "计算所用的城市数。", "Cities the measure was computed over."),
    "reported_indicator": Doc("自报指标", "Reported indicator", "城市报告中的指标。",
                              "The indicator in the city's report."),
    "independent_indicator": Doc("独立指标", "Independent indicator", "同一数量的独立来源指标。",
                                 "The independent indicator of the same quantity."),
    "reported_value": Doc("自报值", "Reported value", "城市报告的数值。", "The value in the city's report."),
    "independent_value": Doc("独立值", "Independent value", "独立来源(名录)的数值。",
                             "The value in the independent source (registry)."),
    "difference": Doc("差值", "Difference", "独立值减自报值。", "Independent minus reported value."),
    "relative_difference": Doc("相对差", "Relative difference", "差值绝对值 / max(自报值, 1)。",
                               "|difference| / max(reported value, 1)."),
    "threshold": Doc("门槛", "Threshold", "标记不一致的相对差门槛。",
                     "Relative difference above which a pair is flagged."),
    "pair_status": Doc("对照结果", "Pair status",
                       "agree 一致、mismatch 不一致、report_only 仅自报、feed_only 仅独立来源。",
                       "agree, mismatch, report_only, feed_only."),
    "previous_period": Doc("上一报告期", "Previous period", "比较的上一报告期。", "The period compared with."),
    "effective_weight": Doc("有效权重", "Effective weight", "该指标在本范围得分中的实际权重(各级权重归一化后之积)。",
                            "The indicator's share of the scope's score (product of the renormalised weights)."),
    "previous_effective_weight": Doc("上期有效权重", "Previous effective weight", "上一期的有效权重。",
                                     "The effective weight in the previous period."),
    "previous_score": Doc("上期得分", "Previous score", "上一期的指标得分。", "The indicator's previous score."),
    "contribution": Doc("贡献", "Contribution", "有效权重 × 指标得分(本范围得分中的分数)。",
                        "Effective weight x score: the points the indicator gives the scope."),
    "previous_contribution": Doc("上期贡献", "Previous contribution", "上一期的贡献。", "The previous contribution."),
    "score_change": Doc("贡献变化", "Contribution change", "本期贡献减上期贡献。",
                        "Contribution minus the previous contribution."),
    "score_effect": Doc("得分效应", "Score effect", "因指标自身得分变化引起的贡献变化。",
                        "The part of the change due to the indicator's own score."),
    "weight_effect": Doc("权重效应", "Weight effect", "因有效权重变化引起的贡献变化。",
                         "The part of the change due to its effective weight."),
    "previous_value": Doc("上期数值", "Previous value", "上一期的数值。", "The previous value."),
    "cause": Doc("原因", "Cause",
                 "new_data 新数据、carried_forward 沿用、feed 开放数据变化、weight 权重变化、entered 新计入、"
                 "left 不再计入、unchanged 无变化。",
                 "new_data, carried_forward, feed, weight, entered, left, unchanged."),
    "carried_forward_share": Doc("沿用占比", "Carried-forward share",
                                 "本期未报、沿用本市上期数值的指标权重占比(不计入覆盖率)。",
                                 "Weight share of indicators whose value is carried forward from an earlier report "
                                 "(not counted in coverage)."),
    "is_carried_forward": Doc("是否沿用", "Is carried forward", "本期数值沿用自本市此前的报告。",
                              "The value is carried forward from the city's earlier report."),
    "milestone_year": Doc("考核节点", "Milestone", "本期对照的节点:2018(至 2018Q4)或 2025(2019Q1 起)。",
                          "The milestone the period is assessed against: 2018 up to 2018Q4, 2025 from 2019Q1."),
    "is_milestone_change": Doc("节点切换", "Milestone change", "本期为新节点的第一个季度(2019Q1)。",
                               "First period of a new milestone (2019Q1): on-track status turns to the 2025 path."),
    "anchor_period": Doc("路径起点", "Anchor period", "通往本节点路径的起点:2015Q4 或 2018Q4。",
                         "Start of the path to the milestone: 2015Q4 for 2018, 2018Q4 for 2025."),
    "anchor_score": Doc("起点得分", "Anchor score", "起点时期的得分。", "The score at the anchor period."),
    "milestone_score": Doc("节点得分", "Milestone score", "达到本节点目标时的得分(同一把尺子)。",
                           "The score of reaching the milestone's target, on the same yardstick."),
    "achieved_share": Doc("已完成路程", "Achieved share", "从起点到节点已完成的比例。",
                          "Share of the path from the anchor to the milestone already done."),
    "elapsed_share": Doc("已过时间", "Elapsed share", "从起点到节点已过去的时间比例。",
                         "Share of the time from the anchor to the milestone gone."),
    "self_report_score": Doc("自报得分", "Self-reported score", "仅按城市自报指标计算的得分。",
                             "The score on the city's own report alone."),
    "independent_score": Doc("独立证据得分", "Independent score", "仅按独立证据(官方完整名单、登记册)计算的得分。",
                             "The score on independent evidence alone (complete official lists, registries)."),
    "independent_share": Doc("独立证据占比", "Independent share", "得分中以独立证据为依据的权重占比。",
                             "Share of the score's weight that rests on independent evidence."),
    "evidence_gap": Doc("证据差", "Evidence gap", "自报得分减独立证据得分。",
                        "Self-reported score minus independent score."),
    "evidence_agreement": Doc("证据一致性", "Evidence agreement",
                              "agree(差距不超过 25 分)、differ(超过)、no_independent_evidence(无独立证据)、"
                              "no_self_report(无自报数据)。",
                              "agree (gap at most 25 points), differ (more), no_independent_evidence, no_self_report."),
    "evidence": Doc("证据类型", "Evidence", "self_report(城市自报)或 independent(独立来源)。",
                    "self_report (the city's report) or independent (official lists and registries)."),
    "list_evidence": Doc("名单依据", "List evidence",
                         "listed(名单记载)、absent_from_complete_list(完整名单未列,计 0)、"
                         "unknown_partial_list(不完整名单未列,未知)。",
                         "listed; absent_from_complete_list (scored 0); unknown_partial_list (unknown)."),
    "change_reason": Doc("变更原因", "Change reason", "按日期生效的权重或方向变更的原因。",
                         "Why a dated change of weight or direction applies (seeds/indicator_changes.csv)."),
    "milestone_target": Doc("节点目标", "Milestone target", "本期对照节点(2018 或 2025)的目标值。",
                            "The target of the period's milestone (2018 or 2025)."),
    "is_rare_count": Doc("稀有计数", "Is rare count", "分解目标不足 1 个单位,改按固定区间计分。",
                         "The apportioned target is below one unit for some city: scored on goalposts."),
    "treatment": Doc("异常值处理", "Outlier treatment", "none、winsorised(缩尾)、log、log_mirrored(对数)。",
                     "none, winsorised, log, log_mirrored (COINr rule)."),

    "period": Doc("报告期", "Period", "季度,如 2018Q4。", "Quarter, e.g. 2018Q4."),
    "city_code": Doc("城市代码", "City code", "GB/T 2260 行政区划代码。", "GB/T 2260 administrative division code."),
    "city_name": Doc("城市", "City", "城市中文名称。", "City name in Chinese."),
    "city_name_en": Doc("城市(英文)", "City (English)", "城市英文名称。", "City name in English."),
    "scope": Doc("范围", "Scope", "overall 表示总体,否则为行动代码。", "'overall', or an action code."),
    "scope_name": Doc("范围名称", "Scope name", "总体或行动的中文名称。",
                      "Chinese name of the overall scope or the action."),
    "scope_name_en": Doc("范围名称(英文)", "Scope name (English)", "总体或行动的英文名称。",
                         "English name of the overall scope or the action."),
    "score": Doc("得分", "Score", "0–100,越高表示落实程度越高。", "0-100; higher means further implemented."),
    "rank": Doc("名次", "Rank", "同一报告期、同一范围内的名次(1 为最好,并列同名次)。",
                "Rank within the period and scope (1 = best; ties share a rank)."),
    "rank_change": Doc("名次变化", "Rank change", "与上一报告期相比上升的名次数(正数为上升)。",
                       "Places gained since the previous period (positive = moved up)."),
    "score_size_adjusted": Doc(
        "按人口调整得分", "Size-adjusted score",
        "0–100;以人口计量的固定区间指标按每百万常住人口计分,其他指标同原始得分,汇总方法相同,小城市不因规模小而吃亏。",
        "0-100; goalpost indicators sized by population are scored per million residents, all others as in the raw "
        "score, aggregated the same way, so small cities are not penalised for being small."),
    "rank_size_adjusted": Doc("按人口调整名次", "Size-adjusted rank",
                              "按人口调整得分在同一报告期、同一范围内的名次(1 为最好,并列同名次)。",
                              "Rank of the size-adjusted score within the period and scope (1 = best; ties share a "
                              "rank)."),
    "coverage": Doc("数据覆盖率", "Coverage", "本期实际报送(或名单记载)的适用指标权重占比(0–1),不含沿用值。",
                    "Weight share of applicable indicators observed in the period (0-1); carried-forward values "
                    "are counted apart."),
    "median_rank": Doc("名次中位数", "Median rank", "不确定性模拟中名次的中位数。",
                       "Median rank across the uncertainty simulation."),
    "rank_p05": Doc("名次下限(5%)", "Rank (5th percentile)", "模拟名次的第 5 百分位(最好情形)。",
                    "5th percentile of simulated ranks (best case)."),
    "rank_p95": Doc("名次上限(95%)", "Rank (95th percentile)", "模拟名次的第 95 百分位(最差情形)。",
                    "95th percentile of simulated ranks (worst case)."),
    "traffic_light": Doc("信号灯", "Traffic light",
                         "随进度状态:green 按期或已完成、yellow 较好、orange 停滞或无新数据、red 倒退、grey 无得分。",
                         "Follows on_track: green achieved/on track, yellow moderately improving, orange stagnating "
                         "or no new data, red decreasing, grey no score."),
    "on_track": Doc("进度状态", "On track",
                    "对照通往下一节点的路径:achieved、on_track、moderately_improving、stagnating、no_new_data、"
                    "decreasing。",
                    "Against the path to the next milestone: achieved, on_track, moderately_improving, stagnating, "
                    "no_new_data, decreasing."),
    "rank_draws": Doc("排名模拟次数", "Rank draws", "名次区间背后的蒙特卡洛模拟次数(0 表示未计算)。",
                      "Monte Carlo draws behind the rank interval (0 = not computed)."),
    "has_score": Doc("是否有得分", "Has score", "覆盖率与沿用占比之和达到门槛,发布得分。",
                     "The scope has a published score (coverage + carried_forward_share at or above the threshold)."),
    "no_score_reason": Doc("无得分原因", "No-score reason",
                           "无得分的原因:insufficient_data(超过沿用期仍无数据)、no_scored_indicator。",
                           "Why there is no score: insufficient_data (no usable data past the carry-forward "
                           "window), no_scored_indicator."),
    "progress_ratio": Doc("进展比", "Progress ratio", "已完成路程 / 已过时间(UNSD):1 表示按期。",
                          "Achieved share / elapsed share of the path to the milestone (UNSD): 1 = on pace."),
    "trend_arrow": Doc("趋势箭头", "Trend arrow", "↑ ➚ → ↓(SDSN 方法)。", "↑ ➚ → ↓ (SDSN method)."),
    "aggregation": Doc("汇总方法", "Aggregation", "arithmetic 算术平均或 geometric 几何平均。",
                       "arithmetic or geometric weighted mean."),
    "method_version": Doc("方法版本", "Method version", "计分方法的版本号。", "Version of the scoring method."),
    "score_arithmetic": Doc("算术平均得分", "Arithmetic score", "下级单元得分的算术加权平均。",
                            "Arithmetic weighted mean of the parts' scores."),
    "score_geometric": Doc("几何平均得分", "Geometric score", "下级单元得分的几何加权平均。",
                           "Geometric weighted mean of the parts' scores."),
    "coverage_threshold": Doc("覆盖率门槛", "Coverage threshold", "发布得分所需的最低覆盖率。",
                              "Minimum coverage for a published score."),
    "parts_applicable": Doc("适用下级单元数", "Parts applicable", "适用于本市的下级单元(专项或行动)数。",
                            "Sub-units (specials or actions) that apply to the city."),
    "parts_scored": Doc("有得分下级单元数", "Parts scored", "其中有得分的下级单元数。",
                        "Of those, sub-units with a score."),
    "baseline_score": Doc("基期得分", "Baseline score", "2015Q4 基期的得分。", "Score at the 2015Q4 baseline."),
    "indicators_carried_forward": Doc("沿用上期值的指标数", "Indicators carried forward",
                                      "本期未报告、沿用上期数值的指标数。",
                                      "Indicators not reported this period whose earlier value is carried forward."),
    "indicators_not_reported": Doc("未报送的指标数", "Indicators not reported", "本期未报送的指标数。",
                                   "Indicators not reported this period."),
    "direction": Doc("方向", "Direction", "higher 越高越好 / lower 越低越好。", "higher or lower is better."),
    "score_basis": Doc("计分依据", "Score basis",
                       "target、goalpost、status(状态事项)、context、retired、unknown、not_applicable、"
                       "zero_target、no_variation。",
                       "target, goalpost, status (a status item), context, retired, unknown, not_applicable, "
                       "zero_target, no_variation."),
    "is_scored": Doc("是否计分", "Is scored", "该指标是否进入汇总。", "Whether the indicator enters the aggregation."),
    "weight": Doc("权重", "Weight", "指标在专项内的权重。", "Weight of the indicator within its special."),
    "status_step": Doc("推进状态", "Status step", "状态事项的推进状态:未启动 / 推进中 / 基本完成 / 已完成。",
                       "Step of a status item: not started / in progress / largely done / done."),
    "value_per_million": Doc("每百万常住人口", "Value per million", "每百万常住人口的数值。",
                             "Value per 1 million residents."),
    "absence_reason": Doc("缺失原因", "Absence reason", "数值缺失的原因。", "Why a value is absent."),
    "is_true_zero": Doc("真实为零", "True zero", "城市报告的数值确为零。", "A reported zero (not a missing value)."),
    "carried_from_period": Doc("沿用自报告期", "Carried from period", "沿用数值所属的报告期。",
                               "Period the value was carried forward from."),
    "quarters_carried": Doc("沿用季度数", "Quarters carried", "数值已沿用的季度数。",
                            "Number of quarters the value has been carried forward."),
    "baseline_source": Doc("基期来源", "Baseline source", "baseline_period、first_reported、assumed_zero。",
                           "baseline_period, first_reported, assumed_zero."),
    "target_2018": Doc("2018 年目标", "Target 2018", "本市 2018 年目标值。", "The city's 2018 target."),
    "target_2025": Doc("2025 年目标", "Target 2025", "本市 2025 年目标值。", "The city's 2025 target."),
    "target_source": Doc("目标来源", "Target source", "现行目标的来源(城市申报或省级分解)。",
                         "Where the target in force came from (declared by the city or apportioned)."),
    "is_apportioned": Doc("是否分解目标", "Is apportioned", "目标是否由省级目标分解而来。",
                          "Whether the provincial target was apportioned to the city."),
    "goalpost_low": Doc("下限", "Goalpost low", "到 2025 年的固定计分区间下限(处理后尺度)。",
                        "Lower fixed goalpost of the 2025 yardstick (treated scale)."),
    "goalpost_high": Doc("上限", "Goalpost high", "到 2025 年的固定计分区间上限(处理后尺度)。",
                         "Upper fixed goalpost of the 2025 yardstick (treated scale)."),
    "observed_score": Doc("观测得分", "Observed score", "观测数值的得分(未报告时为空)。",
                          "Score of the observed value (null when nothing was reported)."),
    "special_code": Doc("专项代码", "Special code", "专项代码(见 seeds/plan_specials.csv)。",
                        "Special code (see seeds/plan_specials.csv)."),
    "action_code": Doc("行动代码", "Action code", "行动代码(见 seeds/plan_actions.csv)。",
                       "Action code (see seeds/plan_actions.csv)."),
    "indicators_applicable": Doc("适用指标数", "Applicable indicators", "该专项中适用于本市的指标数。",
                                 "Indicators of the special that apply to the city."),
    "indicators_reported": Doc("已报告指标数", "Reported indicators", "其中已报告数值的指标数。",
                               "Of those, indicators with a reported value."),
    "indicator_code": Doc("指标代码", "Indicator code", "指标代码(见 seeds/indicators.csv)。",
                          "Indicator code (see seeds/indicators.csv)."),
    "kind": Doc("指标类型", "Indicator kind", "amount 金额/数量、count 计数、share 比例(三者为数量),status 状态事项。",
                "amount, count or share (quantities), or status (a status item)."),
    "value": Doc("数值", "Value", "本期数值,已换算为标准单位。", "Value of the period in the canonical unit."),
    "value_status": Doc("数值状态", "Value status",
                        "reported 已报告 / carried_forward 沿用 / not_reported 未报告 / not_applicable 不适用 / "
                        "unknown 未知(不完整名单)。",
                        "reported / carried_forward / not_reported / not_applicable / unknown (partial list)."),
    "value_source": Doc("数据来源类型", "Value source", "report 城市报告 / feed 开放数据。",
                        "report (city report) / feed (open data)."),
    "baseline_value": Doc("基期数值", "Baseline value", "基期(2015 年)数值。", "Value in the baseline period (2015)."),
    "target_value": Doc("目标值", "Target value", "计分所用的到 2025 年目标(同一把尺子)。",
                        "The 2025 target the score is measured against (the one yardstick)."),
    "overachievement": Doc("超额完成", "Overachievement", "超过本节点目标的进度百分比。",
                           "Percent of the path beyond the milestone's target."),
    "file_id": Doc("报告文件编号", "Report file id", "报告文件的 SHA-256。", "SHA-256 of the report file."),
    "original_name": Doc("原始文件名", "Original file name", "城市提交时的文件名。",
                         "File name as submitted by the city."),
    "sheet": Doc("工作表", "Sheet", "数值所在的工作表。", "Sheet that held the value."),
    "source_row": Doc("来源行号", "Source row", "数值在报告中的行号。", "Row number of the value in the report."),
    "feed_id": Doc("开放数据源", "Feed id", "开放数据源编号(见 seeds/feeds.csv)。",
                   "Open-data feed id (see seeds/feeds.csv)."),
    "snapshot_id": Doc("数据快照", "Snapshot id", "开放数据快照编号。", "Id of the open-data snapshot."),
    "record_number": Doc("快照记录号", "Record number", "数值在快照中的记录号。",
                         "Record number of the value in the snapshot."),
}


TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "league_table": ("period", "city_code", "city_name", "city_name_en", "scope", "scope_name", "scope_name_en",
                     "score", "rank", "rank_change", "score_size_adjusted", "rank_size_adjusted", "median_rank",
                     "rank_p05", "rank_p95", "median_rank_size_adjusted", "rank_p05_size_adjusted",
                     "rank_p95_size_adjusted", "rank_draws", "coverage", "carried_forward_share", "has_score",
                     "no_score_reason", "milestone_year", "is_milestone_change", "progress_ratio", "on_track",
                     "trend_arrow", "traffic_light", "self_report_score", "independent_score", "independent_share",
                     "evidence_gap", "evidence_agreement", "aggregation", "method_version"),
    "scope_scores": ("period", "city_code", "scope", "score", "score_arithmetic", "score_geometric", "aggregation",
                     "coverage", "carried_forward_share", "coverage_threshold", "has_score", "no_score_reason",
                     "parts_applicable", "parts_scored", "baseline_score", "milestone_year", "is_milestone_change",
                     "anchor_period", "anchor_score", "milestone_score", "achieved_share", "elapsed_share",
                     "progress_ratio", "on_track", "trend_arrow", "traffic_light", "rank", "rank_change",
                     "score_size_adjusted", "rank_size_adjusted", "self_report_score", "independent_score",
                     "independent_share", "evidence_gap", "evidence_agreement", "method_version"),
    "special_scores": ("period", "city_code", "special_code", "action_code", "score", "score_size_adjusted",
                       "milestone_score", "self_report_score", "independent_score", "independent_share", "coverage",
                       "carried_forward_share", "indicators_applicable", "indicators_reported",
                       "indicators_carried_forward", "indicators_not_reported", "method_version"),
    "indicator_scores": ("period", "city_code", "indicator_code", "special_code", "action_code", "kind", "direction",
                         "evidence", "score_basis", "is_scored", "weight", "change_reason", "value",
                         "status_step", "value_per_million", "value_status", "absence_reason", "list_evidence",
                         "is_true_zero", "is_carried_forward", "carried_from_period", "quarters_carried",
                         "value_source", "baseline_value", "baseline_source", "milestone_year", "is_milestone_change",
                         "milestone_target", "target_value", "target_2018", "target_2025", "target_source",
                         "is_apportioned", "is_rare_count", "treatment", "goalpost_low", "goalpost_high",
                         "observed_score", "score", "score_size_adjusted", "overachievement", "anchor_period",
                         "anchor_score", "milestone_score", "achieved_share", "elapsed_share", "progress_ratio",
                         "on_track", "trend_arrow", "traffic_light", "file_id", "original_name", "sheet",
                         "source_row", "feed_id", "snapshot_id", "record_number", "method_version"),
    "score_changes": ("period", "city_code", "scope", "indicator_code", "previous_period", "effective_weight",
                      "previous_effective_weight", "score", "previous_score", "contribution", "previous_contribution",
                      "score_change", "score_effect", "weight_effect", "value", "previous_value", "value_status",
                      "file_id", "cause", "method_version"),
    "rank_sensitivity": ("period", "city_code", "rank_basis", "choice", "first_order", "first_order_conf",
                         "total_order", "total_order_conf", "rank_variance", "evaluations", "seed", "method_version"),
    "coherence_audit": ("period", "scope", "item_level", "item_code", "measure", "value", "is_flagged", "flag",
                        "n_cities", "method_version"),
    "evidence_pairs": ("period", "city_code", "reported_indicator", "independent_indicator", "reported_value",
                       "independent_value", "difference", "relative_difference", "threshold", "pair_status", "file_id",
                       "feed_id", "snapshot_id", "method_version"),
}

#: The version of the published dataset's format: its file, table and column names and code values. A rename
#: bumps it; metadata.json and datapackage.json carry it; a dataset published before it was recorded is format 1.
FORMAT_VERSION = 2

#: What each format renamed, (what, old, new), for readers of older datasets (docs/data_dictionary.md lists it).
#: One word per concept: the mart holding the overall scope and the actions is a scope mart; "milestone" means
#: only the milestone year of a target (2018/2025), a self-declared item is a status item (状态事项).
RENAMED: dict[int, tuple[tuple[str, str, str], ...]] = {
    2: (
        ("file", "action_scores.csv / .parquet / .json", "scope_scores.csv / .parquet / .json"),
        ("table", "marts.action_scores", "marts.scope_scores"),
        ("column", "indicator_scores.milestone_status", "indicator_scores.status_step"),
        ("value", "indicator_scores.kind = 'milestone'", "indicator_scores.kind = 'status'"),
        ("value", "indicator_scores.score_basis = 'milestone'", "indicator_scores.score_basis = 'status'"),
        ("value", "metadata.json validation asset marts_candidate.action_scores",
         "marts_candidate.scope_scores"),
        ("value", "metadata.json validation column milestone_status (asset raw.report_rows)", "status_step"),
        ("value", "data_docs/ suite staged_facts (on intermediate.int_indicator_values)", "indicator_values"),
        ("value", "data_docs/ suite action_scores", "scope_scores"),
    ),
}
