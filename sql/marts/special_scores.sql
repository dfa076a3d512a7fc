-- incremental: period, city
-- Special (专项) scores per (period, city, special): the score, its self-reported and independent parts and the share
-- resting on independent evidence, observed coverage and the carried-forward share, and indicator counts by kind of
-- absence.
with scores as (
    select * from intermediate.int_special_scores
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
        scores.special_code,
        scores.action_code,
        round(scores.score, 4) as score,
        round(scores.score_size_adjusted, 4) as score_size_adjusted,
        round(scores.milestone_score, 4) as milestone_score,
        round(scores.self_report_score, 4) as self_report_score,
        round(scores.independent_score, 4) as independent_score,
        round(scores.independent_share, 4) as independent_share,
        round(scores.coverage, 4) as coverage,
        round(scores.carried_forward_share, 4) as carried_forward_share,
        scores.indicators_applicable,
        scores.indicators_reported,
        scores.indicators_carried_forward,
        scores.indicators_not_reported,
        params.method_version
    from scores
    inner join periods on scores.period = periods.period
    cross join params
    where not periods.is_baseline
)

select * from final
