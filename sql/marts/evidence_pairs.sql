-- Self-report against independent data: every pair of a city's reported value and an independent value of the same
-- quantity (today: maker spaces in the city's report and in the provincial registry, year-end periods), with the gap
-- and a flag when they differ by more than the threshold (20 % of the reported value).
with pairs as (
    select * from intermediate.int_feed_report_reconciliation
),

params as (
    select * from intermediate.int_scoring_parameters
),

final as (
    select
        pairs.period,
        pairs.city_code,
        pairs.indicator_code as reported_indicator,
        'maker_spaces_registered' as independent_indicator,
        pairs.report_value as reported_value,
        pairs.feed_value as independent_value,
        pairs.difference,
        round(pairs.relative_difference, 4) as relative_difference,
        pairs.threshold,
        pairs.reconciliation_status as pair_status,
        pairs.file_id,
        pairs.feed_id,
        pairs.snapshot_id,
        params.method_version
    from pairs
    cross join params
    where pairs.period != params.baseline_period
)

select * from final
order by period, city_code, reported_indicator
