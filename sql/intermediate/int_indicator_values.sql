-- One row per (city, period, indicator): the value in force and which of the three kinds of absence applies.
with cities as (
    select * from staging.stg_cities
),

periods as (
    select * from intermediate.int_periods
),

indicators as (
    select * from staging.stg_indicators
),

spine as (
    select
        cities.city_code,
        periods.period,
        indicators.indicator_code,
        indicators.data_source,
        indicators.kind,
        indicators.applies_to = 'all'
        or list_contains(string_split(indicators.applies_to, '|'), cities.city_code) as is_applicable
    from cities
    cross join periods
    cross join indicators
),

reports_ranked as (
    select
        *,
        row_number() over (
            partition by city_code, period, indicator_code
            order by received_at desc, file_id desc, source_row desc
        ) as recency
    from staging.stg_report_values
),

reports as (
    select * from reports_ranked
    where recency = 1
),

feed_values as (
    select * from staging.stg_feed_values
),

joined as (
    select
        spine.city_code,
        spine.period,
        spine.indicator_code,
        spine.kind,
        spine.data_source,
        spine.is_applicable,
        reports.file_id,
        reports.original_name,
        reports.sheet,
        reports.source_row,
        feed_values.feed_id,
        feed_values.snapshot_id,
        feed_values.record_number,
        case
            when spine.kind = 'milestone'
                then
                    case reports.milestone_status
                        when '未启动' then 0 when '推进中' then 1 when '基本完成' then 2 when '已完成' then 3
                    end
            when spine.data_source = 'feed' then feed_values.value
            else reports.value
        end as value
    from spine
    left join reports
        on
            spine.city_code = reports.city_code
            and spine.period = reports.period
            and spine.indicator_code = reports.indicator_code
    asof left join feed_values
        on
            spine.city_code = feed_values.city_code
            and spine.indicator_code = feed_values.indicator_code
            and spine.period >= feed_values.period
),

final as (
    select
        city_code,
        period,
        indicator_code,
        is_applicable,
        value,
        case
            when not is_applicable then 'not_applicable'
            when value is not null then 'reported'
            else 'not_reported'
        end as value_status,
        case when data_source = 'feed' then 'feed' else 'report' end as value_source,
        file_id,
        original_name,
        sheet,
        source_row,
        feed_id,
        snapshot_id,
        record_number
    from joined
)

select * from final
