-- Each city's share of the province used to apportion provincial targets (population, 七普 2020).
with source as (
    select * from seeds.apportionment_keys
),

final as (
    select
        city_code,
        key as apportion_key,
        cast(value as double) as key_value,
        cast(share as double) as key_share,
        method as key_method
    from source
)

select * from final
