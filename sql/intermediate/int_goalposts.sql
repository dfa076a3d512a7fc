-- Fixed goalposts (as EU DESI) for indicators scored without a city target: goalpost indicators and rare counts
-- (int_city_targets.is_rare_count). The reference pool is every city's reported values from the baseline through
-- goalpost_reference_to (2018Q4); later data never moves the goalposts.
-- Outliers as COINr treats them: when |skewness| >= winsor_abs_skew and kurtosis >= winsor_kurtosis, the values on
-- the long tail are winsorised one at a time, at most winsor_max_points, until the pool passes; if it never
-- passes, the original pool is log-transformed instead (ln(x - min + 1); -ln(max - x + 1) for a negative skew) and
-- re-checked. treatment, winsorised_points and passes_after_treatment say what was done.
-- The goalposts are on the treated scale: low = the pool's minimum; high_2018 = its maximum (the winsorised bound);
-- high_2025 = the 'good' goalpost extended to 2025 in value space by the target_2025_rule (low + (high - low) * 10/3,
-- shares capped), then put on the treated scale. Every period is scored between low and high_2025 (one yardstick).
-- One row per (indicator, basis): 'raw', and 'per_million' (value per 1 million residents) for indicators whose
-- size_denominator is 'population', which the size-adjusted score uses.
with params as (
    select * from intermediate.int_scoring_parameters
),

rare_counts as (
    select distinct indicator_code from intermediate.int_city_targets
    where is_rare_count
),

indicators as (
    select stg_indicators.*
    from staging.stg_indicators
    left join rare_counts on stg_indicators.indicator_code = rare_counts.indicator_code
    where stg_indicators.target_method = 'goalpost' or rare_counts.indicator_code is not null
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

pool as (
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

shape as (
    select
        indicator_code,
        basis,
        count(value) as n_values,
        min(value) as value_min,
        max(value) as value_max,
        -- ordered: a float moment's last bits depend on the order it adds up in, and an incremental build
        -- leaves the rows of int_indicator_values in another order than a full one
        skewness(value order by value) as skew,
        kurtosis(value order by value) as kurt
    from pool
    group by indicator_code, basis
),

ranked as (
    -- position of each value from the long tail inwards (1 = the most extreme)
    select
        pool.indicator_code,
        pool.basis,
        pool.value,
        row_number() over (
            partition by pool.indicator_code, pool.basis
            order by case when shape.skew < 0 then pool.value else -pool.value end
        ) as tail_position
    from pool
    inner join shape on pool.indicator_code = shape.indicator_code and pool.basis = shape.basis
),

tail_points as (
    select unnest(range(1, params.winsor_max_points + 1)) as k
    from params
),

attempts as (
    -- the pool with its k most extreme values set to the (k+1)-th, for k = 1 .. winsor_max_points
    select
        ranked.indicator_code,
        ranked.basis,
        points.k,
        bounds.value as bound,
        skewness(
            case
                when shape.skew < 0 then greatest(ranked.value, bounds.value)
                else least(ranked.value, bounds.value)
            end
            order by ranked.value
        ) as skew,
        kurtosis(
            case
                when shape.skew < 0 then greatest(ranked.value, bounds.value)
                else least(ranked.value, bounds.value)
            end
            order by ranked.value
        ) as kurt
    from ranked
    cross join tail_points as points
    inner join shape on ranked.indicator_code = shape.indicator_code and ranked.basis = shape.basis
    inner join ranked as bounds
        on
            ranked.indicator_code = bounds.indicator_code
            and ranked.basis = bounds.basis
            and bounds.tail_position = points.k + 1
    group by ranked.indicator_code, ranked.basis, points.k, bounds.value
),

first_pass as (
    select
        attempts.indicator_code,
        attempts.basis,
        min(attempts.k) as k
    from attempts
    cross join params
    where not (abs(attempts.skew) >= params.winsor_abs_skew and attempts.kurt >= params.winsor_kurtosis)
    group by attempts.indicator_code, attempts.basis
),

logged as (
    select
        pool.indicator_code,
        pool.basis,
        skewness(
            case
                when shape.skew < 0 then -ln(shape.value_max - pool.value + 1)
                else ln(pool.value - shape.value_min + 1)
            end
            order by pool.value
        ) as skew,
        kurtosis(
            case
                when shape.skew < 0 then -ln(shape.value_max - pool.value + 1)
                else ln(pool.value - shape.value_min + 1)
            end
            order by pool.value
        ) as kurt
    from pool
    inner join shape on pool.indicator_code = shape.indicator_code and pool.basis = shape.basis
    group by pool.indicator_code, pool.basis
),

treated as (
    select
        bases.indicator_code,
        bases.basis,
        shape.n_values,
        shape.value_min,
        shape.value_max,
        shape.skew,
        shape.kurt,
        case
            when not coalesce(abs(shape.skew) >= params.winsor_abs_skew and shape.kurt >= params.winsor_kurtosis, false)
                then 'none'
            when first_pass.k is not null then 'winsorised'
            when shape.skew < 0 then 'log_mirrored'
            else 'log'
        end as treatment,
        case
            when
                coalesce(abs(shape.skew) >= params.winsor_abs_skew and shape.kurt >= params.winsor_kurtosis, false)
                then coalesce(first_pass.k, 0)
            else 0
        end as winsorised_points,
        attempts.bound as winsor_bound,
        logged.skew as skew_after_log,
        logged.kurt as kurt_after_log
    from bases
    cross join params
    left join shape on bases.indicator_code = shape.indicator_code and bases.basis = shape.basis
    left join first_pass on bases.indicator_code = first_pass.indicator_code and bases.basis = first_pass.basis
    left join attempts
        on
            first_pass.indicator_code = attempts.indicator_code
            and first_pass.basis = attempts.basis
            and first_pass.k = attempts.k
    left join logged on bases.indicator_code = logged.indicator_code and bases.basis = logged.basis
),

value_goalposts as (
    -- goalposts in value space (before the log transform)
    select
        treated.*,
        indicators.direction,
        indicators.kind,
        case
            when treated.treatment = 'winsorised' and treated.skew < 0 then treated.winsor_bound
            else treated.value_min
        end as low_value,
        case
            when treated.treatment = 'winsorised' and treated.skew > 0 then treated.winsor_bound
            else treated.value_max
        end as high_value
    from treated
    inner join indicators on treated.indicator_code = indicators.indicator_code
),

extended as (
    select
        value_goalposts.*,
        goalpost_low_2025(value_goalposts.low_value, value_goalposts.high_value, value_goalposts.direction)
            as low_value_2025,
        goalpost_high_2025(
            value_goalposts.low_value, value_goalposts.high_value, value_goalposts.direction, value_goalposts.kind,
            params.share_target_cap
        ) as high_value_2025
    from value_goalposts
    cross join params
),

referenced as (
    -- the log transform's reference points cover the 2025 goalposts too, so the extension never collapses
    select
        *,
        least(value_min, low_value_2025) as treat_min,
        greatest(value_max, high_value_2025) as treat_max
    from extended
),

final as (
    select
        referenced.indicator_code,
        referenced.basis,
        referenced.n_values,
        referenced.value_min,
        referenced.value_max,
        referenced.skew,
        referenced.kurt,
        referenced.treatment,
        referenced.winsorised_points,
        referenced.winsor_bound,
        case when referenced.treatment like 'log%' then referenced.skew_after_log end as skew_after_log,
        case when referenced.treatment like 'log%' then referenced.kurt_after_log end as kurt_after_log,
        case
            when referenced.treatment like 'log%'
                then not coalesce(
                    abs(referenced.skew_after_log) >= params.winsor_abs_skew
                    and referenced.kurt_after_log >= params.winsor_kurtosis,
                    false
                )
            else true
        end as passes_after_treatment,
        referenced.treat_min,
        referenced.treat_max,
        referenced.low_value as goalpost_low_value_2018,
        referenced.high_value as goalpost_high_value_2018,
        referenced.low_value_2025 as goalpost_low_value_2025,
        referenced.high_value_2025 as goalpost_high_value_2025,
        treat_value(referenced.low_value_2025, referenced.treatment, referenced.treat_min, referenced.treat_max)
            as goalpost_low,
        treat_value(referenced.high_value_2025, referenced.treatment, referenced.treat_min, referenced.treat_max)
            as goalpost_high,
        -- the 'good' end of the 2018 range: what the best city reached in the first phase, the 2018 milestone
        treat_value(
            case when referenced.direction = 'lower' then referenced.low_value else referenced.high_value end,
            referenced.treatment, referenced.treat_min, referenced.treat_max
        ) as goalpost_good_2018
    from referenced
    cross join params
)

select * from final
