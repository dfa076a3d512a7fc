-- Provincial targets of the plan with typed numbers; qualitative ones keep null values.
with source as (
    select * from seeds.plan_targets
),

final as (
    select
        target_code,
        cast(milestone_year as integer) as milestone_year,
        scope_level,
        nullif(action_code, '') as action_code,
        nullif(special_code, '') as special_code,
        nullif(indicator_code, '') as indicator_code,
        target_kind,
        try_cast(value as double) as target_value,
        try_cast(lower as double) as target_lower,
        try_cast(upper as double) as target_upper,
        unit,
        nullif(comparator, '') as comparator,
        quote
    from source
)

select * from final
