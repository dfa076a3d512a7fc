-- Indicator scores 0-100 per (city, period, indicator), with trend, on-track status and provenance.
-- score_basis: target (distance along the path baseline -> target, capped at 100, overachievement apart),
-- goalpost (fixed min-max goalposts, direction 'lower' inverted), milestone (status steps), context (weight 0:
-- shown, not scored), not_applicable (catalogue, accepted city claim, or zero apportioned target),
-- no_variation (all values equal: carries no information, not scored).
-- score = the score used by the aggregation: the observed score; for not_reported the missing_rule applies
-- ('zero': missing_score, 'exclude': null). observed_score is null when nothing was reported.
-- score_size_adjusted: the same score on the size-adjusted view. For goalpost indicators with size_denominator
-- 'population' the value per 1 million residents is scored on goalposts computed from per-million values
-- (int_goalposts, basis per_million); every other indicator keeps its raw score (targets are apportioned by population,
-- so the distance to target is already size-neutral; milestones and shares have no size).
with params as (
    select * from intermediate.int_scoring_parameters
),

indicators as (
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
    select * from intermediate.int_goalposts
    where basis = 'raw'
),

goalposts_size_adjusted as (
    select * from intermediate.int_goalposts
    where basis = 'per_million'
),

baseline_values as (
    -- each city's value at the baseline period, one row per (city, indicator): a join, not a window over every row
    select
        baseline_cells.city_code,
        baseline_cells.indicator_code,
        max(baseline_cells.value) as baseline_raw
    from intermediate.int_indicator_values as baseline_cells
    inner join intermediate.int_periods as baseline_periods
        on baseline_cells.period = baseline_periods.period
    where baseline_periods.is_baseline
    group by baseline_cells.city_code, baseline_cells.indicator_code
),

population as (
    select
        city_code,
        key_value
    from staging.stg_apportionment_keys
    where apportion_key = 'population'
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
        indicators.size_denominator,
        periods.is_baseline,
        periods.milestone_year,
        periods.years_since_baseline,
        periods.years_to_milestone,
        targets.baseline_value,
        targets.baseline_source,
        targets.target_2018,
        targets.target_2025,
        targets.target_2018_source,
        targets.target_2025_source,
        targets.is_apportioned,
        case periods.milestone_year
            when 2018 then targets.target_2018
            else targets.target_2025
        end as target_value,
        case periods.milestone_year
            when 2018 then goalposts.goalpost_low_2018
            else goalposts.goalpost_low_2025
        end as goalpost_low,
        case periods.milestone_year
            when 2018 then goalposts.goalpost_high_2018
            else goalposts.goalpost_high_2025
        end as goalpost_high,
        goalposts.is_winsorised,
        case periods.milestone_year
            when 2018 then goalposts_size_adjusted.goalpost_low_2018
            else goalposts_size_adjusted.goalpost_low_2025
        end as goalpost_low_size_adjusted,
        case periods.milestone_year
            when 2018 then goalposts_size_adjusted.goalpost_high_2018
            else goalposts_size_adjusted.goalpost_high_2025
        end as goalpost_high_size_adjusted,
        population.key_value as population,
        case
            when indicators.size_denominator = 'population'
                then per_million(values_in_force.value, population.key_value)
        end as value_per_million,
        params.milestone_scores,
        params.missing_rule,
        params.missing_score,
        params.zero_target_not_applicable
    from values_in_force
    inner join indicators on values_in_force.indicator_code = indicators.indicator_code
    inner join periods on values_in_force.period = periods.period
    cross join params
    left join targets
        on values_in_force.city_code = targets.city_code and values_in_force.indicator_code = targets.indicator_code
    left join goalposts on values_in_force.indicator_code = goalposts.indicator_code
    left join goalposts_size_adjusted on values_in_force.indicator_code = goalposts_size_adjusted.indicator_code
    left join population on values_in_force.city_code = population.city_code
),

based as (
    select
        *,
        case
            when value_status = 'not_applicable' then 'not_applicable'
            when weight = 0 then 'context'
            when kind = 'milestone' then 'milestone'
            when target_method in ('apportioned', 'uniform') and target_value = 0 and zero_target_not_applicable
                then 'zero_target'
            when target_method in ('apportioned', 'uniform') and target_value is not null then 'target'
            when goalpost_high > goalpost_low then 'goalpost'
            else 'no_variation'
        end as score_basis
    from joined
),

progress as (
    select
        *,
        case
            when score_basis != 'target' or value is null then null
            when direction = 'lower' and target_value < baseline_value
                then (baseline_value - value) / (baseline_value - target_value)
            when direction = 'lower' and value <= target_value
                then 1 + coalesce((target_value - value) / nullif(target_value, 0), 0)
            when direction = 'lower' then target_value / value
            when target_value > baseline_value then (value - baseline_value) / (target_value - baseline_value)
            -- target already met at baseline: keep at or above the target
            else value / target_value
        end as target_progress
    from based
),

observed as (
    select
        *,
        case
            when value is null then null
            when score_basis = 'milestone' then milestone_step_score(milestone_scores, value)
            when score_basis = 'target' then 100 * least(greatest(target_progress, 0), 1)
            when score_basis = 'goalpost' then goalpost_score(value, goalpost_low, goalpost_high, direction)
        end as observed_score
    from progress
),

observed_size_adjusted as (
    select
        *,
        case
            when
                score_basis != 'goalpost' or value_per_million is null
                or not coalesce(goalpost_high_size_adjusted > goalpost_low_size_adjusted, false)
                then observed_score
            else goalpost_score(value_per_million, goalpost_low_size_adjusted, goalpost_high_size_adjusted, direction)
        end as observed_score_size_adjusted
    from observed
),

with_base_value as (
    select
        observed_size_adjusted.*,
        observed_size_adjusted.score_basis in ('target', 'goalpost', 'milestone') as is_scored,
        baseline_values.baseline_raw
    from observed_size_adjusted
    left join baseline_values
        on
            observed_size_adjusted.city_code = baseline_values.city_code
            and observed_size_adjusted.indicator_code = baseline_values.indicator_code
),

with_base as (
    -- the baseline value scored on this period's yardstick (goalposts differ between the 2018 and 2025 phases)
    select
        *,
        case
            when baseline_raw is null then null
            when score_basis = 'milestone' then milestone_step_score(milestone_scores, baseline_raw)
            when score_basis = 'goalpost' then goalpost_score(baseline_raw, goalpost_low, goalpost_high, direction)
        end as baseline_score
    from with_base_value
),

trend as (
    select
        *,
        case
            when not is_scored or value is null or years_since_baseline <= 0 then null
            when
                score_basis = 'target' and direction = 'higher' and target_value <= baseline_value
                then 'met_at_baseline'
            when
                score_basis = 'target' and direction = 'lower' and target_value >= baseline_value
                then 'met_at_baseline'
            when score_basis = 'target' and baseline_value > 0 and value > 0 and target_value > 0
                then 'compound_growth'
            when score_basis = 'target' then 'linear'
            when baseline_score is not null and baseline_score < 100 then 'score_space'
        end as progress_method
    from with_base
),

rates as (
    select
        *,
        case progress_method
            when 'compound_growth' then power(target_value / baseline_value, 1.0 / years_to_milestone) - 1
            when 'linear' then (target_value - baseline_value) / years_to_milestone
            when 'score_space' then (100 - baseline_score) / years_to_milestone
        end as required_growth,
        case progress_method
            when 'compound_growth' then power(value / baseline_value, 1.0 / years_since_baseline) - 1
            when 'linear' then (value - baseline_value) / years_since_baseline
            when 'score_space' then (observed_score - baseline_score) / years_since_baseline
        end as achieved_growth
    from trend
),

statused as (
    select
        rates.*,
        rates.achieved_growth / nullif(rates.required_growth, 0) as progress_ratio,
        case
            when not rates.is_scored or rates.value is null or rates.years_since_baseline <= 0 then null
            when rates.score_basis = 'target' and rates.target_progress >= 1 then 'achieved'
            when rates.score_basis != 'target' and rates.observed_score >= 100 then 'achieved'
            -- a target met at baseline and no longer met: the city fell back below it
            when rates.progress_method = 'met_at_baseline' then 'decreasing'
            when rates.required_growth is null or rates.required_growth = 0 then null
            else
                progress_status(
                    rates.achieved_growth / rates.required_growth, params.progress_on_track, params.progress_moderate
                )
        end as on_track,
        case
            when rates.is_scored
                then traffic_light(rates.score, params.light_green, params.light_yellow, params.light_orange)
        end as traffic_light
    from (
        select
            *,
            case
                when not is_scored then null
                when value is not null then observed_score
                when missing_rule = 'zero' then missing_score
            end as score,
            case
                when not is_scored then null
                when value is not null then observed_score_size_adjusted
                when missing_rule = 'zero' then missing_score
            end as score_size_adjusted
        from rates
    ) as rates
    cross join params
),

final as (
    select
        city_code,
        period,
        indicator_code,
        special_code,
        action_code,
        kind,
        direction,
        target_method,
        score_basis,
        is_scored,
        weight,
        value,
        milestone_status,
        value_status,
        absence_reason,
        is_true_zero,
        carried_from_period,
        quarters_carried,
        value_source,
        size_denominator,
        value_per_million,
        baseline_value,
        baseline_source,
        milestone_year,
        target_value,
        target_2018,
        target_2025,
        case milestone_year when 2018 then target_2018_source else target_2025_source end as target_source,
        is_apportioned,
        goalpost_low,
        goalpost_high,
        is_winsorised,
        round(observed_score, 6) as observed_score,
        round(score, 6) as score,
        round(score_size_adjusted, 6) as score_size_adjusted,
        round(100 * greatest(target_progress - 1, 0), 6) as overachievement,
        progress_method,
        required_growth,
        achieved_growth,
        progress_ratio,
        on_track,
        trend_arrow(on_track) as trend_arrow,
        traffic_light,
        file_id,
        original_name,
        sheet,
        source_row,
        feed_id,
        snapshot_id,
        record_number
    from statused
)

select * from final
