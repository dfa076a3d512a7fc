-- The scopes of the league table: 'overall' and each scored action, with their names, in the plan's order.
with actions as (
    select * from staging.stg_plan_actions
    where is_scored
),

final as (
    select
        'overall' as scope,
        0 as scope_seq,
        '总体' as scope_name,
        'Overall' as scope_name_en
    union all
    select
        action_code as scope,
        action_seq as scope_seq,
        action_name as scope_name,
        action_name_en as scope_name_en
    from actions
)

select * from final
