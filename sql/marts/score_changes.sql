-- incremental: period, city
-- Why a score moved: per (period, city, scope, indicator) the indicator's contribution to the scope's arithmetic score
-- now and in the previous period, and its change, split into the effect of its own score and of its weight, with the
-- cause. contribution = effective_weight * score (effective weights: intermediate.int_score_contributions);
-- score_change = contribution - previous contribution (0 where the indicator did not enter), so the changes of a
-- scope sum exactly to the change of its arithmetic score (sql/checks/score_changes__do_not_add_up.sql);
-- score_change = score_effect + weight_effect, score_effect = effective_weight * (score - previous_score),
-- weight_effect = previous_score * (effective_weight - previous_effective_weight); an indicator that entered (left)
-- keeps its score on the other side, so its whole change is a weight effect.
-- cause: new_data (the value changed with a new report or list), carried_forward (no new value this period), feed
-- (a feed value changed), weight (only the effective weight moved: another part appeared or dropped out, or a dated
-- change), entered / left (the indicator started or stopped counting), unchanged.
with contributions as (
    select * from intermediate.int_score_contributions
),

params as (
    select * from intermediate.int_scoring_parameters
),

files as (
    select * from intermediate.int_report_files
),

paired as (
    -- each indicator in its action's scope and in the overall scope: one row per scope
    select
        contributions.city_code,
        contributions.period,
        case when scopes.is_overall then 'overall' else contributions.action_code end as scope,
        contributions.indicator_code,
        contributions.previous_period,
        case
            when scopes.is_overall then contributions.overall_weight_share
            else contributions.action_weight_share
        end as effective_weight,
        case
            when scopes.is_overall then contributions.previous_overall_weight_share
            else contributions.previous_action_weight_share
        end as previous_effective_weight,
        contributions.score,
        contributions.previous_score,
        contributions.value,
        contributions.previous_value,
        contributions.value_status,
        contributions.value_source,
        contributions.file_key,
        contributions.is_value_changed
    from contributions
    cross join (values (false), (true)) as scopes (is_overall)
),

decomposed as (
    select
        city_code,
        period,
        scope,
        indicator_code,
        previous_period,
        coalesce(effective_weight, 0) as effective_weight,
        coalesce(previous_effective_weight, 0) as previous_effective_weight,
        score,
        previous_score,
        coalesce(effective_weight * score, 0) as contribution,
        coalesce(previous_effective_weight * previous_score, 0) as previous_contribution,
        coalesce(effective_weight * score, 0) - coalesce(previous_effective_weight * previous_score, 0)
            as score_change,
        coalesce(effective_weight, 0)
        * (coalesce(score, previous_score) - coalesce(previous_score, score)) as score_effect,
        coalesce(previous_score, score)
        * (coalesce(effective_weight, 0) - coalesce(previous_effective_weight, 0)) as weight_effect,
        value,
        previous_value,
        value_status,
        file_key,
        case
            when previous_score is null then 'entered'
            when score is null then 'left'
            when not is_value_changed and effective_weight = previous_effective_weight then 'unchanged'
            when not is_value_changed then 'weight'
            when value_status = 'carried_forward' then 'carried_forward'
            when value_source = 'feed' then 'feed'
            else 'new_data'
        end as cause
    from paired
),

final as (
    select
        decomposed.period,
        decomposed.city_code,
        decomposed.scope,
        decomposed.indicator_code,
        decomposed.previous_period,
        round(decomposed.effective_weight, 6) as effective_weight,
        round(decomposed.previous_effective_weight, 6) as previous_effective_weight,
        round(decomposed.score, 6) as score,
        round(decomposed.previous_score, 6) as previous_score,
        round(decomposed.contribution, 6) as contribution,
        round(decomposed.previous_contribution, 6) as previous_contribution,
        round(decomposed.score_change, 6) as score_change,
        round(decomposed.score_effect, 6) as score_effect,
        round(decomposed.weight_effect, 6) as weight_effect,
        decomposed.value,
        decomposed.previous_value,
        decomposed.value_status,
        files.file_id,
        decomposed.cause,
        params.method_version
    from decomposed
    cross join params
    left join files on decomposed.file_key = files.file_key
)

-- Not sorted here (2.3 M rows at L): every export orders its rows itself (transforms/publish/dataset.py ORDER_BY:
-- period, city_code, scope, indicator_code).
select * from final
