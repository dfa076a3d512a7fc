-- incremental: period, city
-- Indicator scores 0-100 per (city, period, indicator) on one yardstick, with progress to the next milestone,
-- on-track status and provenance.
-- score_basis: target (progress from the baseline to the 2025 target, capped at 100, overachievement apart),
-- goalpost (fixed goalposts of int_goalposts, after outlier treatment; also every rare count), status (a status
-- item's steps), context (weight 0, or weight 0 from a dated change: shown, not scored), retired (reviewed out of the
-- method), not_applicable (catalogue, accepted city claim, or zero target), unknown (a partial list that does not
-- name the city), no_variation (all reference values equal: carries no information, not scored).
-- One yardstick: every period is scored against the 2025 target or goalposts, so a value scores the same in 2018Q4
-- and 2019Q1. milestone_score is the score of reaching the period's milestone (the 2018 target up to 2018Q4, the
-- 2025 target afterwards); progress p runs to 1 at the milestone: for targets the path from the baseline to the
-- milestone's target in value space, otherwise score / milestone_score. From the anchor (the baseline for 2018, the
-- city's own 2018Q4 value for 2025): achieved_share = (p - p_anchor) / (1 - p_anchor), elapsed_share = the share of
-- the anchor-to-milestone quarters gone, progress_ratio = achieved_share / elapsed_share (UNSD). p >= 1: achieved;
-- p_anchor >= 1 and p < 1: decreasing (fell back below a met target). overachievement = 100 (p - 1) for targets.
-- A carried-forward value is 'no_new_data', never on track.
-- score = the score used by the aggregation: the observed score; for not_reported the missing_rule applies
-- ('zero': missing_score, 'exclude': null). score_size_adjusted: the same on the size-adjusted view (per million
-- residents on per-million goalposts for goalpost indicators with size_denominator 'population').
with params as (
    select * from intermediate.int_scoring_parameters
),

indicators as (
    select * from staging.stg_indicators
),

periods as (
    select * from intermediate.int_periods
),

-- read by two CTEs: scanned twice (a cheap column scan) rather than copied once into a materialised CTE
values_in_force as not materialized (
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

population as (
    select
        city_code,
        key_value
    from staging.stg_apportionment_keys
    where apportion_key = 'population'
),

changes_in_force as (
    -- the latest dated change of weight or direction in force in each period
    select
        changes.indicator_code,
        periods.period,
        arg_max(changes.changed_value, changes.effective_from) filter (
            where changes.changed_field = 'weight'
        ) as changed_weight,
        arg_max(changes.changed_value, changes.effective_from) filter (
            where changes.changed_field = 'direction'
        ) as changed_direction,
        arg_max(changes.change_reason, changes.effective_from) as change_reason
    from staging.stg_indicator_changes as changes
    inner join periods on changes.effective_from <= periods.period
    group by changes.indicator_code, periods.period
),

anchor_cells as (
    -- each city's value at the baseline and at the end of the 2018 phase: the start of each milestone's path
    -- (only those periods' cells, ~2 % of the rows)
    select
        values_in_force.city_code,
        values_in_force.indicator_code,
        values_in_force.period,
        values_in_force.value
    from values_in_force
    where
        values_in_force.period in (select params.baseline_period from params)
        or values_in_force.period in (select periods.anchor_period from periods)
),

anchor_periods as (
    select distinct anchor_period from periods
),

anchors as (
    -- per (city, indicator, anchor period) the anchor's and the baseline's value side by side: one join of every
    -- cell below instead of two
    select
        anchor_periods.anchor_period,
        anchor_cells.city_code,
        anchor_cells.indicator_code,
        max(anchor_cells.value) filter (where anchor_cells.period = anchor_periods.anchor_period) as anchor_raw,
        max(anchor_cells.value) filter (where anchor_cells.period = params.baseline_period) as baseline_raw
    from anchor_cells
    cross join anchor_periods
    cross join params
    group by anchor_periods.anchor_period, anchor_cells.city_code, anchor_cells.indicator_code
),

joined as (
    select
        values_in_force.*,
        indicators.special_code,
        indicators.action_code,
        indicators.kind,
        coalesce(changes_in_force.changed_direction, indicators.direction) as direction,
        indicators.target_method,
        indicators.evidence,
        coalesce(cast(changes_in_force.changed_weight as double), indicators.weight) as weight,
        changes_in_force.change_reason,
        indicators.size_denominator,
        periods.is_baseline,
        periods.milestone_year,
        periods.is_milestone_change,
        periods.anchor_period,
        periods.period_index,
        periods.anchor_index,
        periods.milestone_index,
        targets.baseline_value,
        targets.baseline_source,
        targets.target_2018,
        targets.target_2025,
        targets.target_2018_source,
        targets.target_2025_source,
        targets.is_apportioned,
        coalesce(targets.is_rare_count, false) as is_rare_count,
        goalposts.treatment,
        goalposts.treat_min,
        goalposts.treat_max,
        goalposts.goalpost_low,
        goalposts.goalpost_high,
        goalposts.goalpost_good_2018,
        goalposts_size_adjusted.treatment as treatment_size_adjusted,
        goalposts_size_adjusted.treat_min as treat_min_size_adjusted,
        goalposts_size_adjusted.treat_max as treat_max_size_adjusted,
        goalposts_size_adjusted.goalpost_low as goalpost_low_size_adjusted,
        goalposts_size_adjusted.goalpost_high as goalpost_high_size_adjusted,
        population.key_value as population,
        case
            when indicators.size_denominator = 'population'
                then per_million(values_in_force.value, population.key_value)
        end as value_per_million,
        anchors.baseline_raw,
        anchors.anchor_raw,
        params.status_step_scores,
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
    left join changes_in_force
        on
            values_in_force.indicator_code = changes_in_force.indicator_code
            and values_in_force.period = changes_in_force.period
    left join anchors
        on
            values_in_force.city_code = anchors.city_code
            and values_in_force.indicator_code = anchors.indicator_code
            and periods.anchor_period = anchors.anchor_period
),

based as (
    select
        *,
        case
            when value_status = 'not_applicable' then 'not_applicable'
            when value_status = 'unknown' then 'unknown'
            when target_method = 'retired' then 'retired'
            when weight = 0 or target_method = 'context' then 'context'
            when kind = 'status' then 'status'
            when
                target_method in ('apportioned', 'uniform') and not is_rare_count and target_2025 = 0
                and zero_target_not_applicable
                then 'zero_target'
            when target_method in ('apportioned', 'uniform') and not is_rare_count and target_2025 is not null
                then 'target'
            when goalpost_high > goalpost_low then 'goalpost'
            else 'no_variation'
        end as score_basis
    from joined
),

scored as (
    select
        *,
        score_basis in ('target', 'goalpost', 'status') as is_scored,
        case when milestone_year = 2018 then target_2018 else target_2025 end as milestone_target,
        yardstick_score(
            score_basis, value, status_step_scores, baseline_value, target_2025, direction,
            treatment, treat_min, treat_max, goalpost_low, goalpost_high
        ) as observed_score,
        yardstick_score(
            score_basis, baseline_raw, status_step_scores, baseline_value, target_2025, direction,
            treatment, treat_min, treat_max, goalpost_low, goalpost_high
        ) as baseline_score,
        yardstick_score(
            score_basis, anchor_raw, status_step_scores, baseline_value, target_2025, direction,
            treatment, treat_min, treat_max, goalpost_low, goalpost_high
        ) as anchor_score,
        case
            when score_basis = 'status' or milestone_year = 2025 then 100
            when score_basis = 'target'
                then 100 * least(greatest(target_progress(target_2018, baseline_value, target_2025, direction), 0), 1)
            when score_basis = 'goalpost'
                then goalpost_score(goalpost_good_2018, goalpost_low, goalpost_high, direction)
        end as milestone_score,
        case
            when
                score_basis = 'goalpost' and value_per_million is not null
                and coalesce(goalpost_high_size_adjusted > goalpost_low_size_adjusted, false)
                then goalpost_score(
                    treat_value(
                        value_per_million, treatment_size_adjusted, treat_min_size_adjusted, treat_max_size_adjusted
                    ),
                    goalpost_low_size_adjusted, goalpost_high_size_adjusted, direction
                )
        end as observed_score_per_million,
        (period_index - anchor_index) / (milestone_index - anchor_index) as elapsed_share
    from based
),

milestone_progress as (
    -- progress toward the period's milestone: 1 = reached. Targets in value space (the path from the baseline to
    -- the milestone target), other bases in score space (the score over the milestone's score)
    select
        *,
        coalesce(observed_score_per_million, observed_score) as observed_score_size_adjusted,
        case
            when score_basis = 'target' then target_progress(value, baseline_value, milestone_target, direction)
            else observed_score / nullif(milestone_score, 0)
        end as progress_now,
        case
            when score_basis = 'target' then target_progress(anchor_raw, baseline_value, milestone_target, direction)
            else anchor_score / nullif(milestone_score, 0)
        end as progress_anchor
    from scored
),

progressed as (
    select
        *,
        progress_now as target_progress,
        case when progress_anchor < 1 then (progress_now - progress_anchor) / (1 - progress_anchor) end
            as achieved_share
    from milestone_progress
),

statused as (
    select
        progressed.*,
        progressed.achieved_share / nullif(progressed.elapsed_share, 0) as progress_ratio,
        case
            when not progressed.is_scored or progressed.is_baseline or progressed.value is null then null
            when progressed.value_status = 'carried_forward' then 'no_new_data'
            when progressed.progress_now >= 1 then 'achieved'
            when progressed.progress_anchor is null then null
            -- the milestone was met at the anchor and the city fell back below it
            when progressed.progress_anchor >= 1 then 'decreasing'
            else
                progress_status(
                    progressed.achieved_share / nullif(progressed.elapsed_share, 0),
                    params.progress_on_track, params.progress_moderate
                )
        end as on_track,
        case
            when not progressed.is_scored then null
            when progressed.value is not null then progressed.observed_score
            when progressed.missing_rule = 'zero' then progressed.missing_score
        end as score,
        case
            when not progressed.is_scored then null
            when progressed.value is not null then progressed.observed_score_size_adjusted
            when progressed.missing_rule = 'zero' then progressed.missing_score
        end as score_size_adjusted
    from progressed
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
        evidence,
        score_basis,
        is_scored,
        weight,
        change_reason,
        value,
        status_step,
        value_status,
        absence_reason,
        list_evidence,
        is_true_zero,
        carried_from_period,
        quarters_carried,
        value_source,
        size_denominator,
        value_per_million,
        baseline_value,
        baseline_source,
        milestone_year,
        is_milestone_change,
        target_2025 as target_value,
        milestone_target,
        target_2018,
        target_2025,
        case milestone_year when 2018 then target_2018_source else target_2025_source end as target_source,
        is_apportioned,
        is_rare_count,
        treatment,
        goalpost_low,
        goalpost_high,
        round(observed_score, 6) as observed_score,
        round(score, 6) as score,
        round(score_size_adjusted, 6) as score_size_adjusted,
        case when score_basis = 'target' then round(100 * greatest(target_progress - 1, 0), 6) end as overachievement,
        round(baseline_score, 6) as baseline_score,
        anchor_period,
        round(anchor_score, 6) as anchor_score,
        round(milestone_score, 6) as milestone_score,
        achieved_share,
        elapsed_share,
        progress_ratio,
        on_track,
        trend_arrow(on_track) as trend_arrow,
        traffic_light(on_track) as traffic_light,
        file_key,
        sheet,
        source_row,
        feed_id,
        snapshot_id,
        record_number
    from statused
)

select * from final
