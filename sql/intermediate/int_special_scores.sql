-- Special (专项) scores: weighted arithmetic mean of its applicable indicator scores, with data coverage.
with indicator_scores as (
    select * from intermediate.int_indicator_scores
    where weight > 0 and value_status != 'not_applicable' and special_code is not null
),

final as (
    select
        city_code,
        period,
        special_code,
        action_code,
        sum(weight * score) / sum(weight) as score,
        sum(weight) filter (where value_status = 'reported') / sum(weight) as coverage,
        count(*) as indicators_applicable,
        count(*) filter (where value_status = 'reported') as indicators_reported
    from indicator_scores
    group by city_code, period, special_code, action_code
)

select * from final
