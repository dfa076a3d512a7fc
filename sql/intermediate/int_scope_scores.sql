-- incremental: period
-- Scope scores per (city, period, scope): action (行动) scores from special scores and the overall score from the
-- action scores, by weighted arithmetic mean (default) or weighted geometric mean (parameter aggregation; scores
-- floored at geometric_floor). Both are published; score is the one the parameter selects. The same aggregation
-- gives the size-adjusted score, the milestone score (the score of meeting every milestone target), the
-- self-reported and the independent score (each over the specials that have that part) and independent_share (the
-- weight share of the score that rests on independent evidence).
-- Missing data: coverage = weighted share of values observed in the period, carried_forward_share = the share
-- carried forward. A scope whose coverage + carried_forward_share is below coverage_threshold has no score and no
-- rank (no_score_reason 'insufficient_data'); the other cities are ranked as usual.
-- Progress to the next milestone, from the scope score at the anchor (2015Q4 for 2018, 2018Q4 for 2025): as in
-- int_indicator_scores; a scope with nothing of the city's own report observed in the period is 'no_new_data'.
-- The traffic light and the arrow follow on_track. Competition rank (1, 2, 2, 4) on the rounded score; rank change
-- against the previous period.
with params as (
    select * from intermediate.int_scoring_parameters
),

periods as (
    select * from intermediate.int_periods
),

special_scores as (
    select * from intermediate.int_special_scores
),

weights as (
    select * from staging.stg_weights
),

actions as (
    select
        special_scores.city_code,
        special_scores.period,
        special_scores.action_code as scope,
        weighted_arithmetic_mean(weights.weight, special_scores.score) as score_arithmetic,
        weighted_geometric_mean(weights.weight, special_scores.score, params.geometric_floor) as score_geometric,
        weighted_mean(params.aggregation, weights.weight, special_scores.score_size_adjusted, params.geometric_floor)
            as score_size_adjusted_all,
        weighted_mean(params.aggregation, weights.weight, special_scores.milestone_score, params.geometric_floor)
            as milestone_all,
        weighted_mean(params.aggregation, weights.weight, special_scores.self_report_score, params.geometric_floor)
            as self_report_all,
        weighted_mean(params.aggregation, weights.weight, special_scores.independent_score, params.geometric_floor)
            as independent_all,
        weighted_arithmetic_mean(
            weights.weight, case when special_scores.score is not null then special_scores.independent_share end
        ) as independent_share,
        weighted_arithmetic_mean(weights.weight, special_scores.coverage) as coverage,
        weighted_arithmetic_mean(weights.weight, special_scores.carried_forward_share) as carried_forward_share,
        weighted_arithmetic_mean(weights.weight, special_scores.report_coverage) as report_coverage,
        count(*) as parts_applicable,
        count(special_scores.score) as parts_scored
    from special_scores
    inner join weights
        on weights.weight_level = 'special' and special_scores.special_code = weights.code
    cross join params
    group by special_scores.city_code, special_scores.period, special_scores.action_code, params.aggregation
),

actions_selected as (
    select
        actions.*,
        case params.aggregation when 'geometric' then actions.score_geometric else actions.score_arithmetic end
            as score_all
    from actions
    cross join params
),

overall as (
    select
        actions_selected.city_code,
        actions_selected.period,
        'overall' as scope,
        weighted_arithmetic_mean(weights.weight, actions_selected.score_arithmetic) as score_arithmetic,
        weighted_geometric_mean(weights.weight, actions_selected.score_geometric, params.geometric_floor)
            as score_geometric,
        weighted_mean(
            params.aggregation, weights.weight, actions_selected.score_size_adjusted_all, params.geometric_floor
        ) as score_size_adjusted_all,
        weighted_mean(params.aggregation, weights.weight, actions_selected.milestone_all, params.geometric_floor)
            as milestone_all,
        weighted_mean(params.aggregation, weights.weight, actions_selected.self_report_all, params.geometric_floor)
            as self_report_all,
        weighted_mean(params.aggregation, weights.weight, actions_selected.independent_all, params.geometric_floor)
            as independent_all,
        weighted_arithmetic_mean(
            weights.weight,
            case when actions_selected.score_all is not null then actions_selected.independent_share end
        ) as independent_share,
        weighted_arithmetic_mean(weights.weight, actions_selected.coverage) as coverage,
        weighted_arithmetic_mean(weights.weight, actions_selected.carried_forward_share) as carried_forward_share,
        weighted_arithmetic_mean(weights.weight, actions_selected.report_coverage) as report_coverage,
        count(*) as parts_applicable,
        count(actions_selected.score_all) as parts_scored
    from actions_selected
    inner join weights
        on weights.weight_level = 'action' and actions_selected.scope = weights.code
    cross join params
    group by actions_selected.city_code, actions_selected.period, params.aggregation
),

unioned as (
    select * exclude (score_all) from actions_selected
    union all by name
    select * from overall
),

flagged as (
    select
        unioned.*,
        case params.aggregation when 'geometric' then unioned.score_geometric else unioned.score_arithmetic end
            as score_all,
        periods.is_baseline,
        periods.milestone_year,
        periods.is_milestone_change,
        periods.anchor_period,
        (periods.period_index - periods.anchor_index) / (periods.milestone_index - periods.anchor_index)
            as elapsed_share,
        params.aggregation,
        params.coverage_threshold,
        params.score_rounding,
        params.evidence_gap_threshold,
        unioned.score_arithmetic is not null
        and unioned.coverage + unioned.carried_forward_share >= params.coverage_threshold as has_score,
        case
            when unioned.score_arithmetic is null then 'no_scored_indicator'
            when unioned.coverage + unioned.carried_forward_share < params.coverage_threshold then 'insufficient_data'
        end as no_score_reason
    from unioned
    inner join periods on unioned.period = periods.period
    cross join params
),

anchored as (
    select
        flagged.*,
        baseline.score_all as baseline_score,
        anchor.score_all as anchor_score,
        case
            when flagged.milestone_all > anchor.score_all
                then (flagged.score_all - anchor.score_all) / (flagged.milestone_all - anchor.score_all)
        end as achieved_share
    from flagged
    left join flagged as anchor
        on
            flagged.city_code = anchor.city_code
            and flagged.scope = anchor.scope
            and flagged.anchor_period = anchor.period
    left join flagged as baseline
        on
            flagged.city_code = baseline.city_code
            and flagged.scope = baseline.scope
            and baseline.is_baseline
),

statused as (
    select
        anchored.*,
        case when anchored.has_score then round(anchored.score_all, anchored.score_rounding) end as score,
        case when anchored.has_score then round(anchored.score_size_adjusted_all, anchored.score_rounding) end
            as score_size_adjusted,
        anchored.achieved_share / nullif(anchored.elapsed_share, 0) as progress_ratio,
        case
            when not anchored.has_score or anchored.is_baseline then null
            when anchored.report_coverage = 0 then 'no_new_data'
            when anchored.score_all >= anchored.milestone_all then 'achieved'
            when anchored.anchor_score is null then null
            when anchored.milestone_all <= anchored.anchor_score then 'decreasing'
            else
                progress_status(
                    anchored.achieved_share / nullif(anchored.elapsed_share, 0),
                    params.progress_on_track, params.progress_moderate
                )
        end as on_track
    from anchored
    cross join params
),

ranked as (
    select
        *,
        case
            when has_score and not is_baseline
                then rank() over (
                    partition by period, scope, has_score and not is_baseline
                    order by score desc
                )
        end as rank,
        case
            when has_score and not is_baseline
                then rank() over (
                    partition by period, scope, has_score and not is_baseline
                    order by score_size_adjusted desc
                )
        end as rank_size_adjusted
    from statused
),

final as (
    select
        city_code,
        period,
        scope,
        score,
        score_all as score_unpublished,
        score_arithmetic,
        score_geometric,
        aggregation,
        coverage,
        carried_forward_share,
        coverage_threshold,
        has_score,
        no_score_reason,
        parts_applicable,
        parts_scored,
        baseline_score,
        milestone_year,
        is_milestone_change,
        anchor_period,
        anchor_score,
        milestone_all as milestone_score,
        achieved_share,
        elapsed_share,
        progress_ratio,
        on_track,
        trend_arrow(on_track) as trend_arrow,
        case when not has_score then 'grey' else traffic_light(on_track) end as traffic_light,
        rank,
        lag(rank) over (partition by city_code, scope order by period) - rank as rank_change,
        score_size_adjusted,
        score_size_adjusted_all as score_size_adjusted_unpublished,
        rank_size_adjusted,
        case when has_score then round(self_report_all, score_rounding) end as self_report_score,
        case when has_score then round(independent_all, score_rounding) end as independent_score,
        case when has_score then independent_share end as independent_share,
        case when has_score then round(self_report_all - independent_all, score_rounding) end as evidence_gap,
        case
            when not has_score then null
            when independent_all is null then 'no_independent_evidence'
            when self_report_all is null then 'no_self_report'
            when abs(self_report_all - independent_all) > evidence_gap_threshold then 'differ'
            else 'agree'
        end as evidence_agreement
    from ranked
)

select * from final
