-- Each city's 2018 and 2025 targets: declared by the city, else the provincial target apportioned or applied uniformly.
with indicators as (
    select * from staging.stg_indicators
    where target_method in ('apportioned', 'uniform')
),

targets as (
    select * from staging.stg_plan_targets
),

keys as (
    select * from staging.stg_apportionment_keys
),

values_in_force as (
    select * from intermediate.int_indicator_values
),

baselines as (
    select
        city_code,
        indicator_code,
        value as baseline_value
    from values_in_force
    where period = '2015Q4'
),

baseline_totals as (
    select
        indicator_code,
        sum(baseline_value) as province_baseline
    from baselines
    group by indicator_code
),

declared as (
    select
        city_code,
        indicator_code,
        arg_max(city_target_2018, period) filter (where city_target_2018 is not null) as declared_2018,
        arg_max(city_target_2025, period) filter (where city_target_2025 is not null) as declared_2025
    from staging.stg_report_values
    group by city_code, indicator_code
),

apportioned as (
    select
        keys.city_code,
        indicators.indicator_code,
        indicators.kind,
        indicators.target_method,
        targets.target_value as province_target_2018,
        coalesce(baselines.baseline_value, 0) as baseline_value,
        case
            when indicators.target_method = 'uniform' then 1.0
            when indicators.apportion_key = 'baseline_share' and baseline_totals.province_baseline > 0
                then coalesce(baselines.baseline_value, 0) / baseline_totals.province_baseline
            else keys.key_share
        end as target_share
    from indicators
    inner join targets on indicators.target_code = targets.target_code
    cross join keys
    left join baselines
        on keys.city_code = baselines.city_code and indicators.indicator_code = baselines.indicator_code
    left join baseline_totals on indicators.indicator_code = baseline_totals.indicator_code
),

final as (
    select
        apportioned.city_code,
        apportioned.indicator_code,
        apportioned.target_method,
        apportioned.baseline_value,
        apportioned.province_target_2018,
        apportioned.target_share,
        coalesce(declared.declared_2018, apportioned.province_target_2018 * apportioned.target_share) as target_2018,
        coalesce(
            declared.declared_2025,
            case
                when apportioned.kind = 'share'
                    then least(
                        100.0,
                        apportioned.baseline_value
                        + (apportioned.province_target_2018 * apportioned.target_share - apportioned.baseline_value)
                        * 10.0 / 3.0
                    )
                else
                    apportioned.baseline_value
                    + (apportioned.province_target_2018 * apportioned.target_share - apportioned.baseline_value)
                    * 10.0 / 3.0
            end
        ) as target_2025,
        case
            when declared.declared_2018 is not null then 'city_declared'
            when apportioned.target_method = 'uniform' then 'provincial_uniform'
            else 'apportioned'
        end as target_2018_source,
        case
            when declared.declared_2025 is not null then 'city_declared'
            else 'extrapolated_from_2018'
        end as target_2025_source
    from apportioned
    left join declared
        on apportioned.city_code = declared.city_code and apportioned.indicator_code = declared.indicator_code
)

select * from final
