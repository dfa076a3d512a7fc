-- Each city's 2018 and 2025 target for every quantified indicator (target_method apportioned or uniform), and
-- whether the indicator is a rare count (an apportioned target below rare_count_threshold units for some city).
-- 2018: the city's own declared target (its earliest declaration: targets do not move after the fact), else the
-- provincial target apportioned by the indicator's key (population share, or baseline share for concentrated
-- output) or, for uniform targets, the provincial level itself.
-- 2025 (qualitative in the plan): the 2015->2018 path extended linearly to 2025, for the province (then apportioned
-- by the same key) or for the city when it declared 2018 only; shares capped at share_target_cap; uniform non-share
-- levels keep the 2018 value. Baseline = the city's 2015Q4 value, else its first value within
-- baseline_search_quarters, else 0 (flagged).
with params as (
    select * from intermediate.int_scoring_parameters
),

indicators as (
    select * from staging.stg_indicators
    where target_method in ('apportioned', 'uniform')
),

targets as (
    select * from staging.stg_plan_targets
),

keys as (
    select * from staging.stg_apportionment_keys
),

periods as (
    select * from intermediate.int_periods
),

-- read by two CTEs: scanned twice (a cheap column scan) rather than copied once into a materialised CTE
values_in_force as not materialized (
    select * from intermediate.int_indicator_values
),

baseline_index as (
    select periods.period_index
    from periods
    cross join params
    where periods.period = params.baseline_period
),

baselines as (
    select
        values_in_force.city_code,
        values_in_force.indicator_code,
        arg_min(values_in_force.value, periods.period_index) filter (
            where values_in_force.value_status = 'reported'
            and periods.period_index <= baseline_index.period_index + params.baseline_search_quarters
        ) as baseline_value,
        arg_min(values_in_force.period, periods.period_index) filter (
            where values_in_force.value_status = 'reported'
            and periods.period_index <= baseline_index.period_index + params.baseline_search_quarters
        ) as baseline_period
    from values_in_force
    inner join periods on values_in_force.period = periods.period
    cross join baseline_index
    cross join params
    where values_in_force.is_applicable
    group by values_in_force.city_code, values_in_force.indicator_code
),

applicable as (
    -- one row per (city, quantified indicator) that applies to the city
    select distinct
        values_in_force.city_code,
        values_in_force.indicator_code
    from values_in_force
    inner join indicators on values_in_force.indicator_code = indicators.indicator_code
    where values_in_force.is_applicable
),

province as (
    select
        indicators.indicator_code,
        -- fsum (compensated summation): the total does not depend on the order rows arrive in
        fsum(coalesce(baselines.baseline_value, 0)) as baseline_total,
        fsum(baselines.baseline_value) / count(baselines.baseline_value) as baseline_mean
    from indicators
    inner join applicable on indicators.indicator_code = applicable.indicator_code
    left join baselines
        on applicable.city_code = baselines.city_code and applicable.indicator_code = baselines.indicator_code
    group by indicators.indicator_code
),

declarations as (
    select
        city_code,
        indicator_code,
        arg_min(city_target_2018, period || cast(received_at as varchar)) filter (
            where city_target_2018 is not null
        ) as declared_2018,
        arg_min(city_target_2025, period || cast(received_at as varchar)) filter (
            where city_target_2025 is not null
        ) as declared_2025
    from staging.stg_report_values
    group by city_code, indicator_code
),

joined as (
    select
        applicable.city_code,
        applicable.indicator_code,
        indicators.kind,
        indicators.direction,
        indicators.target_method,
        indicators.target_code,
        indicators.apportion_key,
        params.share_target_cap,
        -- a range (3—5家) is read as range_target_reading says (lower bound by default: 'at least 3')
        case
            when targets.comparator = 'range' and params.range_target_reading = 'lower' then targets.target_lower
            when targets.comparator = 'range' and params.range_target_reading = 'upper' then targets.target_upper
            else targets.target_value
        end as province_target_2018,
        params.rare_count_threshold,
        province.baseline_total,
        province.baseline_mean,
        declarations.declared_2018,
        declarations.declared_2025,
        coalesce(baselines.baseline_value, 0) as baseline_value,
        case
            when baselines.baseline_period is null then 'assumed_zero'
            when baselines.baseline_period = params.baseline_period then 'baseline_period'
            else 'first_reported'
        end as baseline_source,
        baselines.baseline_period,
        -- (2025 - 2015) / (2018 - 2015)
        (2025 - cast(left(params.baseline_period, 4) as integer))
        / (2018 - cast(left(params.baseline_period, 4) as double)) as extension_factor,
        case
            when indicators.target_method = 'uniform' then 'uniform'
            when indicators.apportion_key = 'baseline_share' and province.baseline_total > 0 then 'baseline_share'
            else 'population'
        end as share_key,
        case
            when indicators.target_method = 'uniform' then 1.0
            when indicators.apportion_key = 'baseline_share' and province.baseline_total > 0
                then coalesce(baselines.baseline_value, 0) / province.baseline_total
            else keys.key_share
        end as target_share
    from applicable
    inner join indicators on applicable.indicator_code = indicators.indicator_code
    inner join targets on indicators.target_code = targets.target_code
    inner join province on applicable.indicator_code = province.indicator_code
    cross join params
    left join keys on applicable.city_code = keys.city_code and keys.apportion_key = 'population'
    left join baselines
        on applicable.city_code = baselines.city_code and applicable.indicator_code = baselines.indicator_code
    left join declarations
        on applicable.city_code = declarations.city_code and applicable.indicator_code = declarations.indicator_code
),

derived as (
    select
        *,
        case
            when target_method = 'uniform' then province_target_2018
            else province_target_2018 * target_share
        end as provincial_2018,
        case
            when target_method = 'uniform' and kind = 'share'
                then least(
                    share_target_cap,
                    baseline_mean + (province_target_2018 - baseline_mean) * extension_factor
                )
            when target_method = 'uniform' then province_target_2018
            else
                target_share * greatest(
                    0, baseline_total + (province_target_2018 - baseline_total) * extension_factor
                )
        end as provincial_2025
    from joined
),

final as (
    select
        city_code,
        indicator_code,
        target_method,
        target_code,
        share_key,
        target_share,
        baseline_value,
        baseline_source,
        baseline_period,
        province_target_2018,
        provincial_2018 as apportioned_target_2018,
        provincial_2025 as apportioned_target_2025,
        declared_2018,
        declared_2025,
        coalesce(declared_2018, provincial_2018) as target_2018,
        case
            when declared_2025 is not null then declared_2025
            when
                declared_2018 is not null
                and (
                    (direction = 'higher' and declared_2018 > baseline_value)
                    or (direction = 'lower' and declared_2018 < baseline_value)
                )
                then
                    case
                        when kind = 'share'
                            then least(
                                share_target_cap, baseline_value + (declared_2018 - baseline_value) * extension_factor
                            )
                        else greatest(0, baseline_value + (declared_2018 - baseline_value) * extension_factor)
                    end
            when kind = 'share' then least(share_target_cap, provincial_2025)
            else provincial_2025
        end as target_2025,
        case
            when declared_2018 is not null then 'city_declared'
            when target_method = 'uniform' then 'provincial_uniform'
            else 'apportioned_' || share_key
        end as target_2018_source,
        case
            when declared_2025 is not null then 'city_declared'
            when
                declared_2018 is not null
                and (
                    (direction = 'higher' and declared_2018 > baseline_value)
                    or (direction = 'lower' and declared_2018 < baseline_value)
                )
                then 'extended_city_path'
            when target_method = 'uniform' and kind = 'share' then 'extended_provincial_path_capped'
            when target_method = 'uniform' then 'provincial_uniform_2018_level'
            else 'extended_provincial_path_apportioned_' || share_key
        end as target_2025_source,
        declared_2018 is null and target_method = 'apportioned' as is_apportioned,
        -- a count whose apportioned target is a fraction of a unit for some city cannot be scored on targets
        -- without turning yes/no: such rare counts are scored on fixed goalposts for every city
        coalesce(
            kind = 'count' and target_method = 'apportioned'
            and min(provincial_2018) over (partition by indicator_code) < rare_count_threshold,
            false
        ) as is_rare_count
    from derived
)

select * from final
