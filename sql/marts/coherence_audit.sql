-- The statistical coherence audit per period (JRC audits of composite indicators): correlations of each indicator
-- with its special, action and the overall score; Cronbach's alpha, PCA eigenvalues and the first component's share
-- of variance for the specials of each action and the actions of the overall score; negative correlations within a
-- scope. is_flagged / flag: negative_within_scope, negative_with_parent, uncorrelated_with_overall (|r| < 0.3),
-- low_alpha (alpha < 0.7).
with audit as (
    select * from intermediate.int_coherence_audit
),

params as (
    select * from intermediate.int_scoring_parameters
),

final as (
    select
        audit.period,
        audit.scope,
        audit.item_level,
        audit.item_code,
        audit.measure,
        audit.value,
        audit.is_flagged,
        audit.flag,
        audit.n_cities,
        params.method_version
    from audit
    cross join params
)

select * from final
order by period, scope, item_level, measure, item_code
