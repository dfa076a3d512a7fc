-- Why a score moved: per (period, city, scope, indicator) the indicator's contribution to the scope's arithmetic score
-- now and in the previous period, and its change, split into the effect of its own score and of its weight, with the
-- cause (new_data, carried_forward, feed, weight, entered, left, unchanged). The changes of a scope sum exactly to
-- the change of its arithmetic score (sql/checks/score_changes__do_not_add_up.sql).
with contributions as (
    select * from intermediate.int_score_contributions
),

params as (
    select * from intermediate.int_scoring_parameters
),

final as (
    select
        contributions.period,
        contributions.city_code,
        contributions.scope,
        contributions.indicator_code,
        contributions.previous_period,
        round(contributions.effective_weight, 6) as effective_weight,
        round(contributions.previous_effective_weight, 6) as previous_effective_weight,
        round(contributions.score, 6) as score,
        round(contributions.previous_score, 6) as previous_score,
        round(contributions.contribution, 6) as contribution,
        round(contributions.previous_contribution, 6) as previous_contribution,
        round(contributions.score_change, 6) as score_change,
        round(contributions.score_effect, 6) as score_effect,
        round(contributions.weight_effect, 6) as weight_effect,
        contributions.value,
        contributions.previous_value,
        contributions.value_status,
        contributions.file_id,
        contributions.cause,
        params.method_version
    from contributions
    cross join params
)

-- Not sorted here (1.3-2.3 M rows: the sort was ~40 % of the model): every export orders its rows itself
-- (transforms/publish/dataset.py ORDER_BY: period, city_code, scope, indicator_code).
select * from final
