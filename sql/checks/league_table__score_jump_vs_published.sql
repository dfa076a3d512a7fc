-- failure means: a city's overall score for a period moved more than 15 points against the last published dataset
-- although none of its indicator values for that period changed: a model or the method changed behaviour unnoticed.
-- severity: critical
-- keys: period, scope, city_code
with candidate as (
    select * from marts_candidate.league_table
    where scope = 'overall'
),

published as (
    select * from marts.league_table
    where scope = 'overall'
),

candidate_values as (
    select * from marts_candidate.indicator_scores
),

published_values as (
    select * from marts.indicator_scores
),

changed_inputs as (
    select distinct
        coalesce(candidate_values.period, published_values.period) as period,
        coalesce(candidate_values.city_code, published_values.city_code) as city_code
    from candidate_values
    full outer join published_values
        on
            candidate_values.period = published_values.period
            and candidate_values.city_code = published_values.city_code
            and candidate_values.indicator_code = published_values.indicator_code
    where
        candidate_values.value is distinct from published_values.value
        or candidate_values.value_status is distinct from published_values.value_status
),

final as (
    select
        candidate.period,
        candidate.scope,
        candidate.city_code,
        published.score as published_score,
        candidate.score,
        abs(candidate.score - published.score) as score_jump
    from candidate
    inner join published
        on candidate.period = published.period and candidate.city_code = published.city_code
    left join changed_inputs
        on candidate.period = changed_inputs.period and candidate.city_code = changed_inputs.city_code
    where
        changed_inputs.city_code is null
        and abs(candidate.score - published.score) > 15
)

select * from final
