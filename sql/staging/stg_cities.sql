-- The 18 scored cities (17 省辖市 and 济源), identified by GB/T 2260 code.
with source as (
    select * from seeds.cities
),

final as (
    select
        city_code,
        name_zh as city_name,
        name_en as city_name_en,
        city_kind
    from source
)

select * from final
