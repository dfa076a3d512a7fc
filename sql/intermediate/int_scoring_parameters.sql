-- The scoring parameters of seeds/scoring_parameters.csv as one typed row, cross-joined by every scoring model
-- (and read by the Python model int_rank_uncertainty for the Monte Carlo's mc_* parameters).
with source as (
    select * from staging.stg_scoring_parameters
),

final as (
    select
        max(value) filter (where parameter = 'method_version') as method_version,
        max(value) filter (where parameter = 'baseline_period') as baseline_period,
        cast(max(value) filter (where parameter = 'baseline_search_quarters') as integer) as baseline_search_quarters,
        max(value) filter (where parameter = 'aggregation') as aggregation,
        cast(max(value) filter (where parameter = 'geometric_floor') as double) as geometric_floor,
        cast(max(value) filter (where parameter = 'coverage_threshold') as double) as coverage_threshold,
        cast(max(value) filter (where parameter = 'carry_forward_quarters') as integer) as carry_forward_quarters,
        max(value) filter (where parameter = 'missing_rule') as missing_rule,
        cast(max(value) filter (where parameter = 'missing_score') as double) as missing_score,
        cast(max(value) filter (where parameter = 'accept_city_not_applicable') as boolean)
            as accept_city_not_applicable,
        cast(max(value) filter (where parameter = 'zero_target_not_applicable') as boolean)
            as zero_target_not_applicable,
        cast(max(value) filter (where parameter = 'share_target_cap') as double) as share_target_cap,
        max(value) filter (where parameter = 'goalpost_reference_to') as goalpost_reference_to,
        cast(max(value) filter (where parameter = 'winsor_abs_skew') as double) as winsor_abs_skew,
        cast(max(value) filter (where parameter = 'winsor_kurtosis') as double) as winsor_kurtosis,
        cast(max(value) filter (where parameter = 'winsor_max_points') as integer) as winsor_max_points,
        max(value) filter (where parameter = 'yardstick') as yardstick,
        max(value) filter (where parameter = 'range_target_reading') as range_target_reading,
        cast(max(value) filter (where parameter = 'rare_count_threshold') as double) as rare_count_threshold,
        cast(max(value) filter (where parameter = 'independent_weight') as double) as independent_weight,
        cast(max(value) filter (where parameter = 'evidence_gap_threshold') as double) as evidence_gap_threshold,
        [
            cast(max(value) filter (where parameter = 'status_score_0') as double),
            cast(max(value) filter (where parameter = 'status_score_1') as double),
            cast(max(value) filter (where parameter = 'status_score_2') as double),
            cast(max(value) filter (where parameter = 'status_score_3') as double)
        ] as status_step_scores,
        cast(max(value) filter (where parameter = 'progress_on_track') as double) as progress_on_track,
        cast(max(value) filter (where parameter = 'progress_moderate') as double) as progress_moderate,
        cast(max(value) filter (where parameter = 'score_rounding') as integer) as score_rounding,
        cast(max(value) filter (where parameter = 'mc_draws') as integer) as mc_draws,
        cast(max(value) filter (where parameter = 'mc_seed') as bigint) as mc_seed,
        cast(max(value) filter (where parameter = 'mc_weight_spread') as double) as mc_weight_spread,
        cast(max(value) filter (where parameter = 'mc_geometric_share') as double) as mc_geometric_share,
        cast(max(value) filter (where parameter = 'mc_exclude_share') as double) as mc_exclude_share,
        cast(max(value) filter (where parameter = 'mc_status_drop_share') as double) as mc_status_drop_share,
        cast(max(value) filter (where parameter = 'mc_independent_weight_spread') as double)
            as mc_independent_weight_spread,
        cast(max(value) filter (where parameter = 'mc_variant_share') as double) as mc_variant_share,
        cast(max(value) filter (where parameter = 'sa_base_samples') as integer) as sa_base_samples,
        cast(max(value) filter (where parameter = 'sa_seed') as bigint) as sa_seed
    from source
)

select * from final
