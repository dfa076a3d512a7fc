-- Placeholder of the rank-uncertainty table, one row per ranked (period, city, scope) with empty intervals
-- (draws = 0). transforms/score.py rank_uncertainty() replaces it with the Monte Carlo result right after the
-- intermediate layer is built (score.build_with_scores); a build that skips that step still yields marts, with
-- null intervals and draws = 0, instead of failing.
with scores as (
    select * from intermediate.int_action_scores
),

periods as (
    select * from intermediate.int_periods
),

final as (
    select
        scores.period,
        scores.city_code,
        scores.scope,
        cast(null as integer) as median_rank,
        cast(null as integer) as rank_p05,
        cast(null as integer) as rank_p95,
        0 as draws,
        cast(null as bigint) as seed
    from scores
    inner join periods on scores.period = periods.period
    where not periods.is_baseline
)

select * from final
