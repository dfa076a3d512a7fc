-- incremental: period
-- Which method choice drives a city's rank uncertainty: per (period, city, rank basis, choice) the first-order and
-- total Sobol indices (S_i, S_Ti, with 95 % bootstrap half-widths) of the overall rank, over the same choices as the
-- rank Monte Carlo (docs/methodology.md, audit and sensitivity). Null indices: the rank never moves.
with sensitivity as (
    select * from intermediate.int_rank_sensitivity
),

params as (
    select * from intermediate.int_scoring_parameters
),

final as (
    select
        sensitivity.period,
        sensitivity.city_code,
        sensitivity.rank_basis,
        sensitivity.choice,
        round(sensitivity.first_order, 4) as first_order,
        round(sensitivity.first_order_conf, 4) as first_order_conf,
        round(sensitivity.total_order, 4) as total_order,
        round(sensitivity.total_order_conf, 4) as total_order_conf,
        round(sensitivity.rank_variance, 4) as rank_variance,
        sensitivity.evaluations,
        sensitivity.seed,
        params.method_version
    from sensitivity
    cross join params
)

select * from final
order by period, city_code, rank_basis, choice
