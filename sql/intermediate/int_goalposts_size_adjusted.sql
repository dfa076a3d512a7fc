-- Fixed goalposts on the size-adjusted (per 1 million residents) values, for goalpost-scored indicators whose
-- size_denominator is 'population'. Same rule as int_goalposts (reported values of every city from the baseline
-- through goalpost_reference_to, COINr winsorising, 2025 phase extended by low + (high - low) * 10 / 3), applied to
-- value / (population / 1e6). Target-based indicators need none: their targets are apportioned by population, so
-- the distance to target is already size-neutral (the size-adjusted score equals the raw score).
with params as (
    select * from intermediate.int_scoring_parameters
),

indicators as (
    select * from staging.stg_indicators
    where target_method not in ('apportioned', 'uniform', 'milestone') and size_denominator = 'population'
),

population as (
    select
        city_code,
        key_value
    from staging.stg_apportionment_keys
    where apportion_key = 'population' and key_value > 0
),

values_reported as (
    select
        int_indicator_values.indicator_code,
        int_indicator_values.value / (population.key_value / 1e6) as value
    from intermediate.int_indicator_values
    inner join indicators on int_indicator_values.indicator_code = indicators.indicator_code
    inner join population on int_indicator_values.city_code = population.city_code
    cross join params
    where
        int_indicator_values.value_status = 'reported'
        and int_indicator_values.period <= params.goalpost_reference_to
),

stats as (
    select
        indicators.indicator_code,
        count(values_reported.value) as n_values,
        min(values_reported.value) as value_min,
        max(values_reported.value) as value_max,
        skewness(values_reported.value) as skew,
        kurtosis(values_reported.value) as kurt,
        list_sort(list(values_reported.value))[
            greatest(1, cast(ceil(params.winsor_quantile * count(values_reported.value)) as integer))
        ] as q_high,
        list_sort(list(values_reported.value))[
            greatest(1, cast(ceil((1 - params.winsor_quantile) * count(values_reported.value)) as integer))
        ] as q_low
    from indicators
    cross join params
    left join values_reported on indicators.indicator_code = values_reported.indicator_code
    group by indicators.indicator_code, params.winsor_quantile
),

flagged as (
    select
        stats.*,
        coalesce(abs(stats.skew) >= params.winsor_abs_skew and stats.kurt >= params.winsor_kurtosis, false)
            as is_winsorised
    from stats
    cross join params
),

phase_2018 as (
    select
        flagged.*,
        case when flagged.is_winsorised and flagged.skew < 0 then flagged.q_low else flagged.value_min end
            as goalpost_low_2018,
        case when flagged.is_winsorised and flagged.skew > 0 then flagged.q_high else flagged.value_max end
            as goalpost_high_2018
    from flagged
),

final as (
    select
        phase_2018.indicator_code,
        phase_2018.n_values,
        phase_2018.value_min,
        phase_2018.value_max,
        phase_2018.skew,
        phase_2018.kurt,
        phase_2018.is_winsorised,
        params.goalpost_reference_to,
        phase_2018.goalpost_low_2018,
        phase_2018.goalpost_high_2018,
        case
            when indicators.direction = 'lower'
                then
                    greatest(
                        0,
                        phase_2018.goalpost_high_2018
                        - (phase_2018.goalpost_high_2018 - phase_2018.goalpost_low_2018) * 10.0 / 3.0
                    )
            else phase_2018.goalpost_low_2018
        end as goalpost_low_2025,
        case
            when indicators.direction = 'lower' then phase_2018.goalpost_high_2018
            when indicators.kind = 'share'
                then least(
                    params.share_target_cap,
                    phase_2018.goalpost_low_2018
                    + (phase_2018.goalpost_high_2018 - phase_2018.goalpost_low_2018) * 10.0 / 3.0
                )
            else
                phase_2018.goalpost_low_2018
                + (phase_2018.goalpost_high_2018 - phase_2018.goalpost_low_2018) * 10.0 / 3.0
        end as goalpost_high_2025
    from phase_2018
    inner join indicators on phase_2018.indicator_code = indicators.indicator_code
    cross join params
)

select * from final
