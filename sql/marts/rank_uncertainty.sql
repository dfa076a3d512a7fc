-- incremental: period
-- Rank uncertainty per (period, city, scope): median rank and 5-95 % interval over the Monte Carlo draws, for the
-- raw and the size-adjusted rank.
with uncertainty as (
    select * from intermediate.int_rank_uncertainty
),

params as (
    select * from intermediate.int_scoring_parameters
),

final as (
    select
        uncertainty.period,
        uncertainty.city_code,
        uncertainty.scope,
        uncertainty.median_rank,
        uncertainty.rank_p05,
        uncertainty.rank_p95,
        uncertainty.median_rank_size_adjusted,
        uncertainty.rank_p05_size_adjusted,
        uncertainty.rank_p95_size_adjusted,
        uncertainty.draws,
        uncertainty.seed,
        params.method_version
    from uncertainty
    cross join params
)

select * from final
order by period, scope, city_code
