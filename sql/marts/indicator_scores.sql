-- Indicator scores per (period, city, indicator), with value, target and where the value came from.
with scores as (
    select * from intermediate.int_indicator_scores
),

periods as (
    select * from intermediate.int_periods
),

final as (
    select
        scores.period,
        scores.city_code,
        scores.indicator_code,
        scores.special_code,
        scores.action_code,
        scores.kind,
        scores.value,
        scores.value_status,
        scores.value_source,
        scores.baseline_value,
        scores.milestone_year,
        scores.target_value,
        scores.score,
        scores.overachievement,
        scores.file_id,
        scores.original_name,
        scores.sheet,
        scores.source_row,
        scores.feed_id,
        scores.snapshot_id,
        scores.record_number
    from scores
    inner join periods on scores.period = periods.period
    where not periods.is_baseline
)

select * from final
order by period, city_code, indicator_code
