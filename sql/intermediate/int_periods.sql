-- Reporting periods present in the reports, from the 2015Q4 baseline on, with their milestone year.
with reported as (
    select distinct period from staging.stg_report_values
    where regexp_full_match(period, '\d{4}Q[1-4]') and period >= '2015Q4'
),

final as (
    select
        period,
        cast(left(period, 4) as integer) as period_year,
        cast(right(period, 1) as integer) as period_quarter,
        cast(left(period, 4) as integer) - 2015 + (cast(right(period, 1) as integer) - 4) / 4.0 as years_since_baseline,
        case when cast(left(period, 4) as integer) <= 2018 then 2018 else 2025 end as milestone_year,
        period = '2015Q4' as is_baseline
    from reported
)

select * from final
