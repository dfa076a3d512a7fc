-- Indicator scores 0-100: progress from baseline to target, fixed goalposts, or milestone status.
with indicators as (
    select * from staging.stg_indicators
),

periods as (
    select * from intermediate.int_periods
),

values_in_force as (
    select * from intermediate.int_indicator_values
),

targets as (
    select * from intermediate.int_city_targets
),

goalposts as (
    -- fixed across periods (as DESI does): the range over every city and period
    select
        indicator_code,
        min(value) as goalpost_low,
        max(value) as goalpost_high
    from values_in_force
    where value_status = 'reported'
    group by indicator_code
),

joined as (
    select
        values_in_force.*,
        indicators.special_code,
        indicators.action_code,
        indicators.kind,
        indicators.direction,
        indicators.target_method,
        indicators.weight,
        periods.milestone_year,
        targets.baseline_value,
        case periods.milestone_year
            when 2018 then targets.target_2018
            else targets.target_2025
        end as target_value,
        goalposts.goalpost_low,
        goalposts.goalpost_high
    from values_in_force
    inner join indicators on values_in_force.indicator_code = indicators.indicator_code
    inner join periods on values_in_force.period = periods.period
    left join targets
        on values_in_force.city_code = targets.city_code and values_in_force.indicator_code = targets.indicator_code
    left join goalposts on values_in_force.indicator_code = goalposts.indicator_code
),

progress as (
    select
        *,
        case
            when target_method not in ('apportioned', 'uniform') or value is null then null
            when target_value <= baseline_value
                then case when value >= target_value then 1.0 else value / nullif(target_value, 0) end
            else (value - baseline_value) / (target_value - baseline_value)
        end as target_progress
    from joined
),

scored as (
    select
        *,
        case
            when value_status = 'not_applicable' then null
            when value_status = 'not_reported' then 0.0
            when kind = 'milestone' then value / 3.0 * 100
            when target_progress is not null then 100 * least(greatest(target_progress, 0), 1)
            when goalpost_high = goalpost_low then 100.0
            when direction = 'lower' then 100 * (goalpost_high - value) / (goalpost_high - goalpost_low)
            else 100 * (value - goalpost_low) / (goalpost_high - goalpost_low)
        end as raw_score
    from progress
),

final as (
    select
        city_code,
        period,
        indicator_code,
        special_code,
        action_code,
        kind,
        target_method,
        weight,
        value,
        value_status,
        value_source,
        baseline_value,
        milestone_year,
        target_value,
        goalpost_low,
        goalpost_high,
        round(raw_score, 6) as score,
        round(100 * greatest(target_progress - 1, 0), 6) as overachievement,
        file_id,
        original_name,
        sheet,
        source_row,
        feed_id,
        snapshot_id,
        record_number
    from scored
)

select * from final
