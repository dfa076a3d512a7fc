-- Indicator catalogue with typed weights and the list of cities each indicator applies to.
with source as (
    select * from seeds.indicators
),

final as (
    select
        indicator_code,
        nullif(special_code, '') as special_code,
        action_code,
        name_zh as indicator_name,
        name_en as indicator_name_en,
        unit,
        direction,
        kind,
        measure,
        source as data_source,
        target_method,
        nullif(target_code, '') as target_code,
        nullif(apportion_key, '') as apportion_key,
        applies_to,
        cast(weight as double) as weight,
        nullif(size_denominator, '') as size_denominator,
        evidence,
        nullif(review_note, '') as review_note
    from source
)

select * from final
