-- incremental: period
-- Scope scores per (period, city, scope), scope = 'overall' or an action (行动), with both aggregation methods,
-- observed and carried-forward coverage, progress to the milestone, status, the self-reported and independent
-- scores; the league table is the ranked view of this.
with scores as (
    select * from intermediate.int_scope_scores
),

params as (
    select * from intermediate.int_scoring_parameters
),

periods as (
    select * from intermediate.int_periods
),

final as (
    select
        scores.period,
        scores.city_code,
        scores.scope,
        scores.score,
        round(scores.score_arithmetic, 4) as score_arithmetic,
        round(scores.score_geometric, 4) as score_geometric,
        scores.aggregation,
        round(scores.coverage, 4) as coverage,
        round(scores.carried_forward_share, 4) as carried_forward_share,
        scores.coverage_threshold,
        scores.has_score,
        scores.no_score_reason,
        scores.parts_applicable,
        scores.parts_scored,
        round(scores.baseline_score, 4) as baseline_score,
        scores.milestone_year,
        scores.is_milestone_change,
        scores.anchor_period,
        round(scores.anchor_score, 4) as anchor_score,
        round(scores.milestone_score, 4) as milestone_score,
        round(scores.achieved_share, 4) as achieved_share,
        round(scores.elapsed_share, 4) as elapsed_share,
        round(scores.progress_ratio, 4) as progress_ratio,
        scores.on_track,
        scores.trend_arrow,
        scores.traffic_light,
        scores.rank,
        scores.rank_change,
        scores.score_size_adjusted,
        scores.rank_size_adjusted,
        scores.self_report_score,
        scores.independent_score,
        round(scores.independent_share, 4) as independent_share,
        scores.evidence_gap,
        scores.evidence_agreement,
        params.method_version
    from scores
    inner join periods on scores.period = periods.period
    cross join params
    where not periods.is_baseline
)

select * from final
