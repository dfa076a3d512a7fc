-- Each indicator's contribution to its action's and to the overall score, per (city, period), and its change
-- since the previous period: the exact decomposition of a score change indicator by indicator.
-- The arithmetic score of a scope is sum(effective_weight * score) over the indicators that entered it, where
-- effective_weight = (indicator weight / its part's weight total) * (part weight / the special's part weights)
--                  * (special weight / the action's specials with a score) [* (action weight / the overall's actions)],
-- every total taken over what has a score in that period. contribution = effective_weight * score; score_change =
-- contribution - previous contribution (0 where the indicator did not enter), so the score_change values of a scope
-- sum exactly to the change of score_arithmetic. score_change = score_effect + weight_effect (score_effect =
-- effective_weight *
-- (score - previous_score), weight_effect = previous_score * (effective_weight - previous_effective_weight)).
-- cause: new_data (the value changed with a new report or list), carried_forward (no new value this period), feed
-- (a feed value changed), weight (only the effective weight moved: another part appeared or dropped out, or a dated
-- change), entered / left (the indicator started or stopped counting), unchanged.
with params as (
    select * from intermediate.int_scoring_parameters
),

periods as (
    select * from intermediate.int_periods
),

weights as (
    select * from staging.stg_weights
),

scored as (
    select * from intermediate.int_indicator_scores
    where is_scored and score is not null and special_code is not null
),

parts as (
    select
        scored.*,
        case when scored.evidence = 'independent' then params.independent_weight else 1 - params.independent_weight end
            as part_weight,
        fsum(scored.weight) over (
            partition by scored.city_code, scored.period, scored.special_code, scored.evidence
        ) as part_total
    from scored
    cross join params
),

part_list as (
    select distinct
        city_code,
        period,
        special_code,
        evidence,
        part_weight
    from parts
),

part_totals as (
    select
        city_code,
        period,
        special_code,
        fsum(part_weight) as special_part_total
    from part_list
    group by city_code, period, special_code
),

specials as (
    select
        parts.*,
        part_totals.special_part_total,
        special_weights.weight as special_weight
    from parts
    inner join part_totals
        on
            parts.city_code = part_totals.city_code
            and parts.period = part_totals.period
            and parts.special_code = part_totals.special_code
    inner join weights as special_weights
        on special_weights.weight_level = 'special' and parts.special_code = special_weights.code
),

special_list as (
    select distinct
        city_code,
        period,
        action_code,
        special_code,
        special_weight
    from specials
),

special_totals as (
    -- the weight of the specials with a score, per action, and of the actions with a score, per city and period
    select
        city_code,
        period,
        action_code,
        fsum(special_weight) as action_special_total
    from special_list
    group by city_code, period, action_code
),

action_totals as (
    select
        special_totals.city_code,
        special_totals.period,
        fsum(action_weights.weight) as overall_action_total
    from special_totals
    inner join weights as action_weights
        on action_weights.weight_level = 'action' and special_totals.action_code = action_weights.code
    group by special_totals.city_code, special_totals.period
),

effective as (
    select
        specials.city_code,
        specials.period,
        specials.indicator_code,
        specials.action_code,
        specials.score,
        specials.value,
        specials.value_status,
        specials.value_source,
        specials.file_id,
        (specials.weight / specials.part_total) * (specials.part_weight / specials.special_part_total)
        * (specials.special_weight / special_totals.action_special_total) as action_weight_share,
        action_weights.weight / action_totals.overall_action_total as overall_action_share
    from specials
    inner join special_totals
        on
            specials.city_code = special_totals.city_code
            and specials.period = special_totals.period
            and specials.action_code = special_totals.action_code
    inner join action_totals
        on specials.city_code = action_totals.city_code and specials.period = action_totals.period
    inner join weights as action_weights
        on action_weights.weight_level = 'action' and specials.action_code = action_weights.code
),

by_scope as (
    select
        city_code,
        period,
        action_code as scope,
        indicator_code,
        score,
        value,
        value_status,
        value_source,
        file_id,
        action_weight_share as effective_weight
    from effective
    union all
    select
        city_code,
        period,
        'overall' as scope,
        indicator_code,
        score,
        value,
        value_status,
        value_source,
        file_id,
        action_weight_share * overall_action_share as effective_weight
    from effective
),

keys as (
    -- every indicator that counted in a period or in the one before it
    select distinct
        periods.period,
        periods.previous_period,
        by_scope.city_code,
        by_scope.scope,
        by_scope.indicator_code
    from periods
    inner join by_scope
        on periods.period = by_scope.period or periods.previous_period = by_scope.period
    where periods.previous_period is not null
),

paired as (
    select
        keys.city_code,
        keys.period,
        keys.scope,
        keys.indicator_code,
        keys.previous_period,
        current_entry.effective_weight,
        previous_entry.effective_weight as previous_effective_weight,
        current_entry.score,
        previous_entry.score as previous_score,
        current_entry.value,
        previous_entry.value as previous_value,
        current_entry.value_status,
        current_entry.value_source,
        current_entry.file_id,
        previous_entry.file_id as previous_file_id,
        coalesce(current_entry.value != previous_entry.value, false) as is_value_changed
    from keys
    left join by_scope as current_entry
        on
            keys.period = current_entry.period
            and keys.city_code = current_entry.city_code
            and keys.scope = current_entry.scope
            and keys.indicator_code = current_entry.indicator_code
    left join by_scope as previous_entry
        on
            keys.previous_period = previous_entry.period
            and keys.city_code = previous_entry.city_code
            and keys.scope = previous_entry.scope
            and keys.indicator_code = previous_entry.indicator_code
),

final as (
    select
        paired.city_code,
        paired.period,
        paired.scope,
        paired.indicator_code,
        paired.previous_period,
        coalesce(paired.effective_weight, 0) as effective_weight,
        coalesce(paired.previous_effective_weight, 0) as previous_effective_weight,
        paired.score,
        paired.previous_score,
        coalesce(paired.effective_weight * paired.score, 0) as contribution,
        coalesce(paired.previous_effective_weight * paired.previous_score, 0) as previous_contribution,
        coalesce(paired.effective_weight * paired.score, 0)
        - coalesce(paired.previous_effective_weight * paired.previous_score, 0) as score_change,
        -- an indicator that entered (left) keeps its score on the other side: its whole change is a weight effect
        coalesce(paired.effective_weight, 0)
        * (coalesce(paired.score, paired.previous_score) - coalesce(paired.previous_score, paired.score))
            as score_effect,
        coalesce(paired.previous_score, paired.score)
        * (coalesce(paired.effective_weight, 0) - coalesce(paired.previous_effective_weight, 0)) as weight_effect,
        paired.value,
        paired.previous_value,
        paired.value_status,
        paired.file_id,
        case
            when paired.previous_score is null then 'entered'
            when paired.score is null then 'left'
            when not paired.is_value_changed and paired.effective_weight = paired.previous_effective_weight
                then 'unchanged'
            when not paired.is_value_changed then 'weight'
            when paired.value_status = 'carried_forward' then 'carried_forward'
            when paired.value_source = 'feed' then 'feed'
            else 'new_data'
        end as cause
    from paired
)

select * from final
