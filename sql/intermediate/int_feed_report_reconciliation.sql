-- Maker spaces: the provincial registry feed (SYNTHETIC, feed maker_space_registry) against the cities' own
-- reports, per city and year-end period. Since 2.0.0 the registry is also the maker-space special's independent part
-- (indicator maker_spaces_registered); this model pairs the two values of the same quantity.
-- A pair is flagged 'mismatch' when |feed - report| / greatest(|report|, 1) > 0.20 (20 %).
-- The registry gives year-end counts, so only Q4 report periods are compared.
with feed as (
    select
        city_code,
        period,
        max(value) as feed_value,
        min(feed_id) as feed_id,
        min(snapshot_id) as snapshot_id
    from staging.stg_feed_values
    where
        indicator_code = 'maker_spaces_registered'
        and value_status = 'reported'
    group by city_code, period
),

reports_ranked as (
    select
        report_values.city_code,
        report_values.period,
        report_values.value,
        files.file_id,
        row_number() over (
            partition by report_values.city_code, report_values.period
            order by report_values.received_at desc, files.file_id desc
        ) as recency
    from staging.stg_report_values as report_values
    inner join staging.stg_report_files as files on report_values.file_key = files.file_key
    where
        report_values.kind = 'quantity'
        and report_values.indicator_code = 'maker_spaces'
        and report_values.value_status = 'reported'
        and report_values.period like '%Q4'
),

reports as (
    select
        city_code,
        period,
        value as report_value,
        file_id
    from reports_ranked
    where recency = 1
),

joined as (
    select
        coalesce(feed.city_code, reports.city_code) as city_code,
        coalesce(feed.period, reports.period) as period,
        reports.report_value,
        feed.feed_value,
        reports.file_id,
        feed.feed_id,
        feed.snapshot_id
    from feed
    full outer join reports
        on
            feed.city_code = reports.city_code
            and feed.period = reports.period
),

final as (
    select
        city_code,
        period,
        'maker_spaces' as indicator_code,
        report_value,
        feed_value,
        feed_value - report_value as difference,
        abs(feed_value - report_value) / greatest(abs(report_value), 1) as relative_difference,
        0.20 as threshold,
        case
            when feed_value is null then 'report_only'
            when report_value is null then 'feed_only'
            when abs(feed_value - report_value) / greatest(abs(report_value), 1) > 0.20 then 'mismatch'
            else 'agree'
        end as reconciliation_status,
        'report' as value_used_by_score,
        file_id,
        feed_id,
        snapshot_id
    from joined
)

select * from final
order by city_code, period
