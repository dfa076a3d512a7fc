-- Action (行动) scores: weighted mean of special scores; the overall score: weighted mean of action scores.
with special_scores as (
    select * from intermediate.int_special_scores
),

weights as (
    select * from staging.stg_weights
),

actions as (
    select
        special_scores.city_code,
        special_scores.period,
        special_scores.action_code as scope,
        sum(weights.weight * special_scores.score) / sum(weights.weight) as score,
        sum(weights.weight * special_scores.coverage) / sum(weights.weight) as coverage
    from special_scores
    inner join weights
        on weights.weight_level = 'special' and special_scores.special_code = weights.code
    group by special_scores.city_code, special_scores.period, special_scores.action_code
),

overall as (
    select
        actions.city_code,
        actions.period,
        'overall' as scope,
        sum(weights.weight * actions.score) / sum(weights.weight) as score,
        sum(weights.weight * actions.coverage) / sum(weights.weight) as coverage
    from actions
    inner join weights
        on weights.weight_level = 'action' and actions.scope = weights.code
    group by actions.city_code, actions.period
),

final as (
    select * from actions
    union all
    select * from overall
)

select * from final
