-- failure means: a (period, scope) of the league table does not hold exactly one row for each of the 18 cities:
-- a city dropped out of a join or a join fanned out, so the ranking is not comparable.
-- severity: critical
-- keys: period, scope
with league as (
    select * from marts_candidate.league_table
),

expected as (
    select count(*) as cities from staging.stg_cities
),

final as (
    select
        league.period,
        league.scope,
        count(*) as city_rows,
        count(distinct league.city_code) as cities
    from league
    cross join expected
    group by league.period, league.scope, expected.cities
    having count(*) <> expected.cities or count(distinct league.city_code) <> expected.cities
)

select * from final
