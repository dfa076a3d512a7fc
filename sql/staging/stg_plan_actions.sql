-- The plan's actions (行动): the 11 scored ones and the two unscored parts of the annex, in the plan's order.
with source as (
    select * from seeds.plan_actions
),

final as (
    select
        action_code,
        cast(seq as integer) as action_seq,
        name_zh as action_name,
        name_en as action_name_en,
        cast(scored as boolean) as is_scored
    from source
)

select * from final
