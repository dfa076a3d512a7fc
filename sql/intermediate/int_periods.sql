-- Reporting periods present in the reports, from the baseline on, with the milestone each period is scored against.
-- Every period is scored on one yardstick (to 2025); milestone_year says which milestone on_track is measured
-- against: 2018 up to 2018Q4 (path from the baseline), 2025 afterwards (path from the city's 2018Q4 position).
-- is_milestone_change marks the first period of a new milestone (2019Q1).
with params as (
    select * from intermediate.int_scoring_parameters
),

reported as (
    select distinct stg_report_values.period
    from staging.stg_report_values
    cross join params
    where
        regexp_full_match(stg_report_values.period, '\d{4}Q[1-4]')
        and stg_report_values.period >= params.baseline_period
),

parsed as (
    select
        reported.period,
        cast(left(reported.period, 4) as integer) as period_year,
        cast(right(reported.period, 1) as integer) as period_quarter,
        cast(left(params.baseline_period, 4) as integer) as baseline_year,
        cast(right(params.baseline_period, 1) as integer) as baseline_quarter,
        reported.period = params.baseline_period as is_baseline
    from reported
    cross join params
),

milestones as (
    select
        *,
        case when period_year <= 2018 then 2018 else 2025 end as milestone_year,
        baseline_year * 4 + baseline_quarter as baseline_index
    from parsed
),

final as (
    select
        period,
        period_year,
        period_quarter,
        period_year * 4 + period_quarter as period_index,
        (period_year * 4 + period_quarter - baseline_index) / 4.0 as years_since_baseline,
        milestone_year,
        -- targets fall due at the end (Q4) of the milestone year; the baseline is a Q4, so whole years
        milestone_year - baseline_year as years_to_milestone,
        -- the path to the next milestone starts at the baseline (2015Q4) for 2018 and at the end of the 2018
        -- phase (2018Q4) for 2025: progress toward 2025 continues from a city's own 2018 position
        case when milestone_year = 2018 then baseline_year else 2018 end || 'Q4' as anchor_period,
        case when milestone_year = 2018 then baseline_index else 2018 * 4 + 4 end as anchor_index,
        milestone_year * 4 + 4 as milestone_index,
        is_baseline,
        lag(period) over (order by period) as previous_period,
        coalesce(milestone_year != lag(milestone_year) over (order by period), false) as is_milestone_change
    from milestones
)

select * from final
