-- Aggregation weights of specials within actions and of actions within the overall score.
with source as (
    select * from seeds.weights
),

final as (
    select
        level as weight_level,
        code,
        parent_code,
        cast(weight as double) as weight
    from source
)

select * from final
