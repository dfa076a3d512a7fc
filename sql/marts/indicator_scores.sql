-- incremental: period, city
-- Indicator scores per (period, city, indicator): value (raw and per 1 million residents), evidence (self-reported or
-- independent), target or goalposts on the one yardstick, score, progress to the period's milestone, status, the kind
-- of absence (carried forward flagged) and the input row or feed record the value came from.
with scores as (
    select * from intermediate.int_indicator_scores
),

params as (
    select * from intermediate.int_scoring_parameters
),

periods as (
    select * from intermediate.int_periods
),

files as (
    select * from intermediate.int_report_files
),

final as (
    select
        scores.period,
        scores.city_code,
        scores.indicator_code,
        scores.special_code,
        scores.action_code,
        scores.kind,
        scores.direction,
        scores.evidence,
        scores.score_basis,
        scores.is_scored,
        scores.weight,
        scores.change_reason,
        scores.value,
        scores.status_step,
        scores.value_per_million,
        scores.value_status,
        scores.absence_reason,
        scores.list_evidence,
        scores.is_true_zero,
        scores.value_status = 'carried_forward' as is_carried_forward,
        scores.carried_from_period,
        scores.quarters_carried,
        scores.value_source,
        scores.baseline_value,
        scores.baseline_source,
        scores.milestone_year,
        scores.is_milestone_change,
        scores.milestone_target,
        scores.target_value,
        scores.target_2018,
        scores.target_2025,
        scores.target_source,
        scores.is_apportioned,
        scores.is_rare_count,
        scores.treatment,
        scores.goalpost_low,
        scores.goalpost_high,
        scores.observed_score,
        scores.score,
        scores.score_size_adjusted,
        scores.overachievement,
        scores.anchor_period,
        scores.anchor_score,
        scores.milestone_score,
        round(scores.achieved_share, 4) as achieved_share,
        round(scores.elapsed_share, 4) as elapsed_share,
        round(scores.progress_ratio, 4) as progress_ratio,
        scores.on_track,
        scores.trend_arrow,
        scores.traffic_light,
        files.file_id,
        files.original_name,
        scores.sheet,
        scores.source_row,
        scores.feed_id,
        scores.snapshot_id,
        scores.record_number,
        params.method_version
    from scores
    inner join periods on scores.period = periods.period
    cross join params
    left join files on scores.file_key = files.file_key
    where not periods.is_baseline
)

-- Not sorted here (1.3-2.3 M rows: the sort was ~40 % of the model): every export orders its rows itself
-- (transforms/publish/dataset.py ORDER_BY: period, city_code, indicator_code).
select * from final
