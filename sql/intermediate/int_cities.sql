-- The 18 scored cities with the labels the published tables show beside the code.
with cities as (
    select * from staging.stg_cities
),

final as (
    select
        city_code,
        city_name,
        city_name_en,
        city_kind
    from cities
)

select * from final
