-- Action (行动) and overall scores per (period, city, scope) with both aggregation methods, coverage, trend
-- and status; the league table is the ranked view of this.
with scores as (
    select * from intermediate.int_action_scores
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
        scores.coverage_threshold,
        scores.has_score,
        scores.no_score_reason,
        scores.parts_applicable,
        scores.parts_scored,
        round(scores.baseline_score, 4) as baseline_score,
        round(scores.progress_ratio, 4) as progress_ratio,
        scores.on_track,
        scores.trend_arrow,
        scores.traffic_light,
        scores.rank,
        scores.rank_change,
        scores.score_size_adjusted,
        scores.rank_size_adjusted,
        params.method_version
    from scores
    inner join periods on scores.period = periods.period
    cross join params
    where not periods.is_baseline
)

select * from final
order by period, city_code, scope
