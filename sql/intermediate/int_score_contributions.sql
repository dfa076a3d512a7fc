-- incremental: period, city
-- Each indicator's effective weight in its action's and in the overall score, per (city, period), now and in the
-- previous period, with its score and value then and now: what marts.score_changes decomposes a score change into,
-- one row per (city, period, indicator) that counted in the period or in the one before (entered, left, or both).
-- The arithmetic score of a scope is sum(effective_weight * score) over the indicators that entered it, where
-- effective_weight = (indicator weight / its part's weight total) * (part weight / the special's part weights)
--                  * (special weight / the action's specials with a score) [* (action weight / the overall's actions)],
-- every total taken over what has a score in that period: action_weight_share is it for the action's scope,
-- overall_weight_share for the overall scope.
-- One row per indicator with both scopes side by side (1.15 M rows at L); the mart, a candidate view, writes the two
-- scopes as rows once, at promotion.
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

evidence_totals as (
    -- one row per part of a special (city, period, special, evidence) with its weight total: every later total is
    -- taken over these ~half as many rows, and the scored rows are joined to the finished shares once
    select
        scored.city_code,
        scored.period,
        scored.action_code,
        scored.special_code,
        scored.evidence,
        case when scored.evidence = 'independent' then params.independent_weight else 1 - params.independent_weight end
            as part_weight,
        fsum(scored.weight) as part_total
    from scored
    cross join params
    group by
        scored.city_code, scored.period, scored.action_code, scored.special_code, scored.evidence,
        params.independent_weight
),

part_totals as (
    select
        city_code,
        period,
        action_code,
        special_code,
        fsum(part_weight) as special_part_total
    from evidence_totals
    group by city_code, period, action_code, special_code
),

specials as (
    select
        part_totals.*,
        special_weights.weight as special_weight
    from part_totals
    inner join weights as special_weights
        on special_weights.weight_level = 'special' and part_totals.special_code = special_weights.code
),

special_totals as (
    -- the weight of the specials with a score, per action, and of the actions with a score, per city and period
    select
        city_code,
        period,
        action_code,
        fsum(special_weight) as action_special_total
    from specials
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

shares as (
    -- per part: its weight total, its share of the special, the special's share of the action, the action's share
    -- of the overall score
    select
        evidence_totals.city_code,
        evidence_totals.period,
        evidence_totals.special_code,
        evidence_totals.evidence,
        evidence_totals.part_total,
        evidence_totals.part_weight / specials.special_part_total as part_share,
        specials.special_weight / special_totals.action_special_total as special_share,
        action_weights.weight / action_totals.overall_action_total as overall_action_share
    from evidence_totals
    inner join specials
        on
            evidence_totals.city_code = specials.city_code
            and evidence_totals.period = specials.period
            and evidence_totals.special_code = specials.special_code
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

effective as (
    -- every (city, period, indicator) of the spine; the weight shares only where the indicator counted (a scored
    -- value in a part with a total), so an indicator that did not count has no share, score or value here
    select
        indicator_scores.city_code,
        indicator_scores.period,
        indicator_scores.indicator_code,
        indicator_scores.action_code,
        shares.part_total is not null as counted,
        case when shares.part_total is not null then indicator_scores.score end as score,
        case when shares.part_total is not null then indicator_scores.value end as value,
        case when shares.part_total is not null then indicator_scores.value_status end as value_status,
        case when shares.part_total is not null then indicator_scores.value_source end as value_source,
        case when shares.part_total is not null then indicator_scores.file_key end as file_key,
        (indicator_scores.weight / shares.part_total) * shares.part_share * shares.special_share
            as action_weight_share,
        shares.overall_action_share
    from intermediate.int_indicator_scores as indicator_scores
    left join shares
        on
            indicator_scores.city_code = shares.city_code
            and indicator_scores.period = shares.period
            and indicator_scores.special_code = shares.special_code
            and indicator_scores.evidence is not distinct from shares.evidence
            and indicator_scores.is_scored
            and indicator_scores.score is not null
),

with_previous as (
    -- the spine is complete (every city, period and indicator), so the row before in period order is the
    -- previous period's; lag(period) is kept to prove it
    select
        effective.*,
        periods.previous_period,
        lag(effective.period) over by_indicator as lag_period,
        lag(effective.counted) over by_indicator as previous_counted,
        lag(effective.action_weight_share) over by_indicator as previous_action_weight_share,
        lag(effective.overall_action_share) over by_indicator as previous_overall_action_share,
        lag(effective.score) over by_indicator as previous_score,
        lag(effective.value) over by_indicator as previous_value
    from effective
    inner join periods on effective.period = periods.period
    window by_indicator as (partition by effective.city_code, effective.indicator_code order by effective.period)
),

final as (
    -- each indicator that counted in the period or in the one before (entered, left, or both)
    select
        city_code,
        period,
        action_code,
        indicator_code,
        previous_period,
        action_weight_share,
        previous_action_weight_share,
        action_weight_share * overall_action_share as overall_weight_share,
        previous_action_weight_share * previous_overall_action_share as previous_overall_weight_share,
        score,
        previous_score,
        value,
        previous_value,
        value_status,
        value_source,
        file_key,
        coalesce(value != previous_value, false) as is_value_changed
    from with_previous
    where
        previous_period is not null
        and lag_period = previous_period
        and (counted or previous_counted)
)

select * from final
