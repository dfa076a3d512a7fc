-- incremental: period
-- The league table: one row per (period, city, scope), scope = 'overall' or an action code, ranked per (period, scope)
-- by competition ranking (1, 2, 2, 4). score and rank are null where coverage is below the threshold (has_score,
-- no_score_reason say why; coverage counts values observed in the period, carried_forward_share those carried
-- forward). self_report_score / independent_score / independent_share / evidence_agreement: the two kinds of
-- evidence apart (docs/methodology.md). is_milestone_change marks 2019Q1, where on_track turns to the 2025 path.
-- score_size_adjusted / rank_size_adjusted: the same on the size-adjusted view (per million
-- residents for goalpost indicators with size_denominator 'population'; see docs/methodology.md).
-- median_rank / rank_p05 / rank_p95 come from the Monte Carlo (the Python model intermediate/int_rank_uncertainty).
with scores as (
    select * from intermediate.int_scope_scores
),

uncertainty as (
    select * from intermediate.int_rank_uncertainty
),

params as (
    select * from intermediate.int_scoring_parameters
),

periods as (
    select * from intermediate.int_periods
),

cities as (
    select * from intermediate.int_cities
),

scopes as (
    select * from intermediate.int_scopes
),

final as (
    select
        scores.period,
        scores.city_code,
        cities.city_name,
        cities.city_name_en,
        scores.scope,
        scopes.scope_name,
        scopes.scope_name_en,
        scores.score,
        scores.rank,
        scores.rank_change,
        scores.score_size_adjusted,
        scores.rank_size_adjusted,
        uncertainty.median_rank,
        uncertainty.rank_p05,
        uncertainty.rank_p95,
        uncertainty.median_rank_size_adjusted,
        uncertainty.rank_p05_size_adjusted,
        uncertainty.rank_p95_size_adjusted,
        uncertainty.draws as rank_draws,
        round(scores.coverage, 4) as coverage,
        round(scores.carried_forward_share, 4) as carried_forward_share,
        scores.has_score,
        scores.no_score_reason,
        scores.milestone_year,
        scores.is_milestone_change,
        round(scores.progress_ratio, 4) as progress_ratio,
        scores.on_track,
        scores.trend_arrow,
        scores.traffic_light,
        scores.self_report_score,
        scores.independent_score,
        round(scores.independent_share, 4) as independent_share,
        scores.evidence_gap,
        scores.evidence_agreement,
        scores.aggregation,
        params.method_version
    from scores
    inner join periods on scores.period = periods.period
    inner join cities on scores.city_code = cities.city_code
    cross join params
    left join scopes on scores.scope = scopes.scope
    left join uncertainty
        on
            scores.period = uncertainty.period
            and scores.city_code = uncertainty.city_code
            and scores.scope = uncertainty.scope
    where not periods.is_baseline
)

select * from final
