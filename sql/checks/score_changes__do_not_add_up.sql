-- failure means: the indicator contributions of a scope do not add up to the change of its arithmetic score since
-- the previous period (more than 0.001 points apart; each published change is rounded to 6 decimals): an explanation
-- would tell a city a story that does not sum.
-- severity: critical
-- keys: period, city_code, scope
with changes as (
    select * from marts_candidate.score_changes
),

scores as (
    select * from intermediate.int_scope_scores
),

periods as (
    select * from intermediate.int_periods
),

explained as (
    select
        period,
        city_code,
        scope,
        sum(score_change) as explained_change
    from changes
    group by period, city_code, scope
),

final as (
    select
        explained.period,
        explained.city_code,
        explained.scope,
        explained.explained_change,
        current_scores.score_arithmetic - previous_scores.score_arithmetic as score_change
    from explained
    inner join periods on explained.period = periods.period
    inner join scores as current_scores
        on
            explained.period = current_scores.period
            and explained.city_code = current_scores.city_code
            and explained.scope = current_scores.scope
    inner join scores as previous_scores
        on
            periods.previous_period = previous_scores.period
            and explained.city_code = previous_scores.city_code
            and explained.scope = previous_scores.scope
    where abs(explained.explained_change - (current_scores.score_arithmetic - previous_scores.score_arithmetic)) > 0.001
)

select * from final
