-- Action (行动) scores from special scores and the overall score from action scores, per (city, period, scope),
-- by weighted arithmetic mean (default) or weighted geometric mean (parameter aggregation; scores floored at
-- geometric_floor). Both are computed; score is the one the parameter selects. A scope whose coverage is below
-- coverage_threshold has no published score and no rank. Also: on-track status against a straight path from the
-- baseline score to 100 at the milestone, traffic light, competition rank (1, 2, 2, 4) and rank change.
-- The size-adjusted view (score_size_adjusted, rank_size_adjusted) aggregates the specials' size-adjusted scores with
-- the same weights, method and coverage threshold (coverage and has_score are shared with the raw view).
-- Sums are fsum (compensated summation), so a score does not depend on the order rows arrive in: the same
-- inputs give the same bytes whatever the query plan or thread count.
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
        weighted_arithmetic_mean(weights.weight, special_scores.score_size_adjusted)
            as score_size_adjusted_arithmetic,
        weighted_geometric_mean(weights.weight, special_scores.score_size_adjusted, params.geometric_floor)
            as score_size_adjusted_geometric,
        weighted_arithmetic_mean(weights.weight, special_scores.coverage) as coverage,
        count(*) as parts_applicable,
        count(special_scores.score) as parts_scored
    from special_scores
    inner join weights
        on weights.weight_level = 'special' and special_scores.special_code = weights.code
    cross join params
    group by special_scores.city_code, special_scores.period, special_scores.action_code
),

overall as (
    select
        actions.city_code,
        actions.period,
        'overall' as scope,
        weighted_arithmetic_mean(weights.weight, actions.score_arithmetic) as score_arithmetic,
        weighted_geometric_mean(weights.weight, actions.score_geometric, params.geometric_floor) as score_geometric,
        weighted_arithmetic_mean(weights.weight, actions.score_size_adjusted_arithmetic)
            as score_size_adjusted_arithmetic,
        weighted_geometric_mean(weights.weight, actions.score_size_adjusted_geometric, params.geometric_floor)
            as score_size_adjusted_geometric,
        weighted_arithmetic_mean(weights.weight, actions.coverage) as coverage,
        count(*) as parts_applicable,
        count(actions.score_arithmetic) as parts_scored
    from actions
    inner join weights
        on weights.weight_level = 'action' and actions.scope = weights.code
    cross join params
    group by actions.city_code, actions.period
),

unioned as (
    select * from actions
    union all
    select * from overall
),

selected as (
    select
        unioned.*,
        periods.is_baseline,
        periods.years_since_baseline,
        periods.years_to_milestone,
        periods.milestone_year,
        case params.aggregation
            when 'geometric' then unioned.score_geometric
            else unioned.score_arithmetic
        end as score_all,
        case params.aggregation
            when 'geometric' then unioned.score_size_adjusted_geometric
            else unioned.score_size_adjusted_arithmetic
        end as score_all_size_adjusted,
        params.aggregation,
        params.coverage_threshold,
        params.score_rounding
    from unioned
    inner join periods on unioned.period = periods.period
    cross join params
),

flagged as (
    select
        *,
        score_all is not null and coverage >= coverage_threshold as has_score,
        case
            when score_all is null then 'no_scored_indicator'
            when coverage < coverage_threshold then 'coverage_below_threshold'
        end as no_score_reason,
        max(case when is_baseline then score_all end) over (partition by city_code, scope) as baseline_score
    from selected
),

progressed as (
    select
        flagged.*,
        case when flagged.has_score then round(flagged.score_all, flagged.score_rounding) end as score,
        case
            when flagged.has_score then round(flagged.score_all_size_adjusted, flagged.score_rounding)
        end as score_size_adjusted,
        case
            when flagged.years_since_baseline > 0 and flagged.baseline_score < 100
                then
                    ((flagged.score_all - flagged.baseline_score) / flagged.years_since_baseline)
                    / ((100 - flagged.baseline_score) / flagged.years_to_milestone)
        end as progress_ratio
    from flagged
),

statused as (
    select
        progressed.*,
        case
            when not progressed.has_score or progressed.years_since_baseline <= 0 then null
            when progressed.score_all >= 100 then 'achieved'
            else progress_status(progressed.progress_ratio, params.progress_on_track, params.progress_moderate)
        end as on_track,
        case
            when not progressed.has_score then 'grey'
            else traffic_light(progressed.score, params.light_green, params.light_yellow, params.light_orange)
        end as traffic_light,
        case
            when progressed.has_score and not progressed.is_baseline
                then rank() over (
                    partition by
                        progressed.period, progressed.scope, progressed.has_score and not progressed.is_baseline
                    order by progressed.score desc
                )
        end as rank,
        case
            when progressed.has_score and not progressed.is_baseline
                then rank() over (
                    partition by
                        progressed.period, progressed.scope, progressed.has_score and not progressed.is_baseline
                    order by progressed.score_size_adjusted desc
                )
        end as rank_size_adjusted
    from progressed
    cross join params
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
        coverage_threshold,
        has_score,
        no_score_reason,
        parts_applicable,
        parts_scored,
        baseline_score,
        progress_ratio,
        on_track,
        trend_arrow(on_track) as trend_arrow,
        traffic_light,
        rank,
        lag(rank) over (partition by city_code, scope order by period) - rank as rank_change,
        score_size_adjusted,
        score_all_size_adjusted as score_size_adjusted_unpublished,
        score_size_adjusted_arithmetic,
        score_size_adjusted_geometric,
        rank_size_adjusted
    from statused
)

select * from final
