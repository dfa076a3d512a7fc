-- The scoring parameters of seeds/scoring_parameters.csv, one row per parameter (typed in int_scoring_parameters).
with source as (
    select * from seeds.scoring_parameters
),

final as (
    select
        parameter,
        value,
        unit
    from source
)

select * from final
