-- The score each observed value would get under the method's other defensible choices, for the uncertainty and
-- sensitivity analysis (the published score is the nominal one, int_indicator_scores):
-- score_untreated   goalpost indicators without outlier treatment: the 2015-2018 minimum and maximum, extended to
--                   2025 as the nominal goalposts are;
-- score_moving      goalposts from every reported value of the whole series (minimum and maximum, as moving
--                   min-max goalposts would be), not frozen at goalpost_reference_to, untreated;
-- score_rare_target rare counts scored on their apportioned 2025 target after all, as countable targets are.
-- One row per (city, period, indicator, basis) with a value: basis 'raw', and 'size_adjusted' where the
-- size-adjusted view scores the value per million residents. Null where a variant does not apply (the nominal
-- score holds).
with params as (
    select * from intermediate.int_scoring_parameters
),

scores as (
    select * from intermediate.int_indicator_scores
    where is_scored and value is not null and score_basis = 'goalpost'
),

goalposts as (
    select * from intermediate.int_goalposts
),

indicators as (
    select * from staging.stg_indicators
),

bases as (
    select 'raw' as basis
    union all
    select 'size_adjusted' as basis
),

whole_series as (
    -- the moving goalposts: every reported value of every period, raw and per million
    select
        goalposts.indicator_code,
        goalposts.basis,
        min(case when goalposts.basis = 'raw' then values_in_force.value else scored_cells.value_per_million end)
            as series_min,
        max(case when goalposts.basis = 'raw' then values_in_force.value else scored_cells.value_per_million end)
            as series_max
    from goalposts
    inner join intermediate.int_indicator_values as values_in_force
        on goalposts.indicator_code = values_in_force.indicator_code
    inner join intermediate.int_indicator_scores as scored_cells
        on
            values_in_force.city_code = scored_cells.city_code
            and values_in_force.period = scored_cells.period
            and values_in_force.indicator_code = scored_cells.indicator_code
    where values_in_force.value_status = 'reported'
    group by goalposts.indicator_code, goalposts.basis
),

cells as (
    select
        scores.city_code,
        scores.period,
        scores.indicator_code,
        bases.basis,
        scores.direction,
        scores.is_rare_count,
        scores.baseline_value,
        scores.target_2025,
        case when bases.basis = 'raw' then scores.value else scores.value_per_million end as value,
        scores.value as raw_value,
        goalposts.value_min,
        goalposts.value_max,
        whole_series.series_min,
        whole_series.series_max,
        indicators.kind,
        params.share_target_cap
    from scores
    cross join params
    cross join bases
    inner join indicators on scores.indicator_code = indicators.indicator_code
    inner join goalposts
        on
            scores.indicator_code = goalposts.indicator_code
            and goalposts.basis = case when bases.basis = 'raw' then 'raw' else 'per_million' end
    inner join whole_series
        on goalposts.indicator_code = whole_series.indicator_code and goalposts.basis = whole_series.basis
    where bases.basis = 'raw' or scores.value_per_million is not null
),

final as (
    select
        city_code,
        period,
        indicator_code,
        basis,
        case
            when value_max > value_min
                then goalpost_score(
                    value,
                    goalpost_low_2025(value_min, value_max, direction),
                    goalpost_high_2025(value_min, value_max, direction, kind, share_target_cap),
                    direction
                )
        end as score_untreated,
        case
            when series_max > series_min then goalpost_score(value, series_min, series_max, direction)
        end as score_moving,
        case
            -- targets are apportioned by population: the size-adjusted view scores the raw value on them too
            when is_rare_count and target_2025 > 0
                then 100 * least(greatest(target_progress(raw_value, baseline_value, target_2025, direction), 0), 1)
        end as score_rare_target
    from cells
)

select * from final
