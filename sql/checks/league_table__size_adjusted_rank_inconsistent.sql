-- failure means: a size-adjusted rank in the league table is not 1 + the number of cities with a strictly higher
-- size-adjusted score in the same (period, scope) (competition ranking): the size-adjusted view was ranked over the
-- wrong partition or on the raw score.
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
        league.rank_size_adjusted,
        1 + count(other.city_code) filter (where other.score_size_adjusted > league.score_size_adjusted)
            as expected_rank
    from league
    inner join league as other
        on league.period = other.period and league.scope = other.scope
    where league.score_size_adjusted is not null
    group by league.period, league.scope, league.city_code, league.rank_size_adjusted
),

final as (
    select
        period,
        scope,
        city_code,
        rank_size_adjusted,
        expected_rank
    from expected
    where rank_size_adjusted is distinct from expected_rank
)

select * from final
