-- failure means: a rank in the league table is not 1 + the number of cities with a strictly higher score in the same
-- (period, scope) (competition ranking): ranking ran over the wrong partition or on unrounded scores.
-- severity: critical
-- keys: period, scope, city_code
with league as (
    select * from marts_candidate.league_table
),

expected as (
    select
        league.period,
        league.scope,
        league.city_code,
        league.rank,
        1 + count(other.city_code) filter (where other.score > league.score) as expected_rank
    from league
    inner join league as other
        on league.period = other.period and league.scope = other.scope
    where league.score is not null
    group by league.period, league.scope, league.city_code, league.rank
),

final as (
    select
        period,
        scope,
        city_code,
        rank,
        expected_rank
    from expected
    where rank is distinct from expected_rank
)

select * from final
