-- Reporting periods present in the reports, from the baseline on, with the milestone each period is scored against.
-- Periods up to 2018Q4 are scored against the 2018 targets, later ones against the 2025 targets.
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

final as (
    select
        period,
        period_year,
        period_quarter,
        period_year * 4 + period_quarter as period_index,
        (period_year * 4 + period_quarter - baseline_year * 4 - baseline_quarter) / 4.0 as years_since_baseline,
        case when period_year <= 2018 then 2018 else 2025 end as milestone_year,
        -- targets fall due at the end (Q4) of the milestone year; the baseline is a Q4, so whole years
        (case when period_year <= 2018 then 2018 else 2025 end) - baseline_year as years_to_milestone,
        is_baseline,
        lag(period) over (order by period) as previous_period
    from parsed
)

select * from final
