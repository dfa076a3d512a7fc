-- The league table: one row per (period, city, scope), scope = 'overall' or an action code, ranked per (period, scope).
with scores as (
    select * from intermediate.int_action_scores
),

periods as (
    select * from intermediate.int_periods
),

cities as (
    select * from staging.stg_cities
),

actions as (
    select * from seeds.plan_actions
),

ranked as (
    select
        scores.period,
        scores.city_code,
        scores.scope,
        round(scores.score, 4) as score,
        round(scores.coverage, 4) as coverage,
        rank() over (partition by scores.period, scores.scope order by round(scores.score, 4) desc) as rank
    from scores
    inner join periods on scores.period = periods.period
    where not periods.is_baseline
),

with_change as (
    select
        *,
        lag(rank) over (partition by city_code, scope order by period) - rank as rank_change
    from ranked
),

final as (
    select
        with_change.period,
        with_change.city_code,
        cities.city_name,
        cities.city_name_en,
        with_change.scope,
        coalesce(actions.name_zh, '总体') as scope_name,
        coalesce(actions.name_en, 'Overall') as scope_name_en,
        with_change.score,
        with_change.rank,
        with_change.rank_change,
        with_change.coverage
    from with_change
    inner join cities on with_change.city_code = cities.city_code
    left join actions on with_change.scope = actions.action_code
)

select * from final
order by period, scope, rank, city_code
