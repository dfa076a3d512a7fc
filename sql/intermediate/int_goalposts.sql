-- Fixed goalposts (as EU DESI) for indicators without a city target: the range of reported values of every city
-- from the baseline through goalpost_reference_to (2018Q4), after outlier treatment; later data never moves them.
-- Winsorised (COINr rule) when |skewness| >= winsor_abs_skew and excess kurtosis >= winsor_kurtosis: the goalpost
-- on the long tail moves to the nearest-rank winsor_quantile. For 2019-2025 periods the 'good' goalpost is extended
-- to 2025 by the same linear rule as the targets (low + (high - low) * 10 / 3; shares capped).
-- One row per (indicator, basis): basis 'raw' for every goalpost indicator, and 'per_million' (value per 1 million
-- residents) for those whose size_denominator is 'population', which the size-adjusted score uses. Target-based
-- indicators need no per-million goalposts: their targets are apportioned by population, so the distance to
-- target is already size-neutral.
with params as (
    select * from intermediate.int_scoring_parameters
),

indicators as (
    select * from staging.stg_indicators
    where target_method not in ('apportioned', 'uniform', 'milestone')
),

population as (
    select
        city_code,
        key_value
    from staging.stg_apportionment_keys
    where apportion_key = 'population' and key_value > 0
),

bases as (
    select
        indicator_code,
        'raw' as basis
    from indicators
    union all
    select
        indicator_code,
        'per_million' as basis
    from indicators
    where size_denominator = 'population'
),

values_reported as (
    select
        bases.indicator_code,
        bases.basis,
        case
            when bases.basis = 'per_million' then per_million(int_indicator_values.value, population.key_value)
            else int_indicator_values.value
        end as value
    from intermediate.int_indicator_values
    inner join bases on int_indicator_values.indicator_code = bases.indicator_code
    left join population on int_indicator_values.city_code = population.city_code
    cross join params
    where
        int_indicator_values.value_status = 'reported'
        and int_indicator_values.period <= params.goalpost_reference_to
        and (bases.basis = 'raw' or population.key_value is not null)
),

stats as (
    select
        bases.indicator_code,
        bases.basis,
        count(values_reported.value) as n_values,
        min(values_reported.value) as value_min,
        max(values_reported.value) as value_max,
        skewness(values_reported.value) as skew,
        kurtosis(values_reported.value) as kurt,
        -- nearest-rank quantiles (quantile_cont needs a constant quantile)
        list_sort(list(values_reported.value))[
            greatest(1, cast(ceil(params.winsor_quantile * count(values_reported.value)) as integer))
        ] as q_high,
        list_sort(list(values_reported.value))[
            greatest(1, cast(ceil((1 - params.winsor_quantile) * count(values_reported.value)) as integer))
        ] as q_low
    from bases
    cross join params
    left join values_reported
        on bases.indicator_code = values_reported.indicator_code and bases.basis = values_reported.basis
    group by bases.indicator_code, bases.basis, params.winsor_quantile
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
        phase_2018.basis,
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
