-- Special (专项) scores: weighted arithmetic mean of the scores of its scored indicators, with data coverage.
-- Not-applicable, context and no-variation indicators do not enter; not-reported ones enter with missing_score
-- (missing_rule 'zero') or drop out (missing_rule 'exclude'). coverage = weight share of applicable scored
-- indicators that have a value (reported or carried forward). score_size_adjusted: the same mean of the indicators'
-- size-adjusted scores (null exactly where score is null, so coverage is shared).
-- Sums are fsum (compensated summation), so a score does not depend on the order rows arrive in: the same
-- inputs give the same bytes whatever the query plan or thread count.
with indicator_scores as (
    select * from intermediate.int_indicator_scores
    where is_scored and special_code is not null
),

final as (
    select
        city_code,
        period,
        special_code,
        action_code,
        weighted_arithmetic_mean(weight, score) as score,
        weighted_arithmetic_mean(weight, score_size_adjusted) as score_size_adjusted,
        coalesce(fsum(weight) filter (where value_status in ('reported', 'carried_forward')), 0)
        / fsum(weight) as coverage,
        fsum(weight) as weight_applicable,
        count(*) as indicators_applicable,
        count(*) filter (where value_status = 'reported') as indicators_reported,
        count(*) filter (where value_status = 'carried_forward') as indicators_carried_forward,
        count(*) filter (where value_status = 'not_reported') as indicators_not_reported
    from indicator_scores
    group by city_code, period, special_code, action_code
)

select * from final
