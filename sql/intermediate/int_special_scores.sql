-- incremental: period, city
-- Special (专项) scores from two parts: the self-reported indicators (the city's own report) and the independent
-- ones (complete official lists and registries, seeds/evidence_lists.csv). Each part is the weighted arithmetic
-- mean of its scored indicators; the special score weighs the independent part independent_weight and the
-- self-reported part the rest, renormalised over the parts that have a score (a part without any value drops out).
-- independent_share = the weight share of the special's score that rests on independent evidence.
-- Not-applicable, unknown, context, retired and no-variation indicators do not enter; not-reported ones enter with
-- missing_score (missing_rule 'zero') or drop out ('exclude').
-- coverage = weight share (part weights included) of applicable scored indicators observed in the period;
-- carried_forward_share = the share whose value is carried forward from an earlier report. milestone_score is the
-- same mean of the indicators' milestone scores, over the indicators that entered the score.
with params as (
    select * from intermediate.int_scoring_parameters
),

indicator_scores as (
    select * from intermediate.int_indicator_scores
    where is_scored and special_code is not null
),

parts as (
    select
        city_code,
        period,
        special_code,
        action_code,
        evidence,
        weighted_arithmetic_mean(weight, score) as score,
        weighted_arithmetic_mean(weight, score_size_adjusted) as score_size_adjusted,
        weighted_arithmetic_mean(weight, case when score is not null then milestone_score end) as milestone_score,
        weighted_arithmetic_mean(weight, case when value_status = 'reported' then 1.0 else 0.0 end) as observed,
        weighted_arithmetic_mean(weight, case when value_status = 'carried_forward' then 1.0 else 0.0 end)
            as carried,
        count(*) as indicators_applicable,
        count(*) filter (where value_status = 'reported') as indicators_reported,
        count(*) filter (where value_status = 'carried_forward') as indicators_carried_forward,
        count(*) filter (where value_status = 'not_reported') as indicators_not_reported
    from indicator_scores
    group by city_code, period, special_code, action_code, evidence
),

weighted as (
    select
        parts.*,
        case when parts.evidence = 'independent' then params.independent_weight else 1 - params.independent_weight end
            as part_weight
    from parts
    cross join params
),

final as (
    select
        city_code,
        period,
        special_code,
        action_code,
        weighted_arithmetic_mean(part_weight, score) as score,
        weighted_arithmetic_mean(part_weight, score_size_adjusted) as score_size_adjusted,
        weighted_arithmetic_mean(part_weight, milestone_score) as milestone_score,
        max(score) filter (where evidence = 'self_report') as self_report_score,
        max(score) filter (where evidence = 'independent') as independent_score,
        coalesce(
            weighted_arithmetic_mean(
                part_weight, case when score is not null then cast(evidence = 'independent' as double) end
            ),
            0
        ) as independent_share,
        -- coverage over the applicable parts (a part with applicable indicators counts even without values)
        weighted_arithmetic_mean(part_weight, observed) as coverage,
        weighted_arithmetic_mean(part_weight, carried) as carried_forward_share,
        -- the share of the city's own report observed in the period (0 = no new report: never on track)
        coalesce(max(observed) filter (where evidence = 'self_report'), 0) as report_coverage,
        cast(sum(indicators_applicable) as bigint) as indicators_applicable,
        cast(sum(indicators_reported) as bigint) as indicators_reported,
        cast(sum(indicators_carried_forward) as bigint) as indicators_carried_forward,
        cast(sum(indicators_not_reported) as bigint) as indicators_not_reported
    from weighted
    group by city_code, period, special_code, action_code
)

select * from final
