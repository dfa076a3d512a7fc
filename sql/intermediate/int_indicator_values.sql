-- One row per (city, period, indicator): the value in force, with the three kinds of absence kept apart.
-- value_status: reported | carried_forward (own last reported value, at most carry_forward_quarters old)
--   | not_reported (applicable, no usable value) | not_applicable (the catalogue's applies_to excludes the city).
-- A city's own 不适用 for an applicable indicator is accepted only if accept_city_not_applicable; by default it is
-- not_reported with absence_reason 'city_claimed_not_applicable'. A reported 0 is a true zero (is_true_zero).
-- Milestone indicators carry the status step 0..3 (未启动 .. 已完成) as value.
with params as (
    select * from intermediate.int_scoring_parameters
),

cities as (
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
        periods.period_index,
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
    where value is not null
),

joined as (
    select
        spine.city_code,
        spine.period,
        spine.period_index,
        spine.indicator_code,
        spine.kind,
        spine.data_source,
        spine.is_applicable,
        reports.value_status as report_value_status,
        reports.milestone_status,
        case when spine.data_source != 'feed' then reports.file_id end as file_id,
        case when spine.data_source != 'feed' then reports.original_name end as original_name,
        case when spine.data_source != 'feed' then reports.sheet end as sheet,
        case when spine.data_source != 'feed' then reports.source_row end as source_row,
        case when spine.data_source = 'feed' then feed_values.feed_id end as feed_id,
        case when spine.data_source = 'feed' then feed_values.snapshot_id end as snapshot_id,
        case when spine.data_source = 'feed' then feed_values.record_number end as record_number,
        case
            when spine.kind = 'milestone'
                then
                    case reports.milestone_status
                        when '未启动' then 0 when '推进中' then 1 when '基本完成' then 2 when '已完成' then 3
                    end
            when spine.data_source = 'feed' then feed_values.value
            when reports.value_status = 'reported' then reports.value
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

observed as (
    select
        joined.*,
        coalesce(
            joined.report_value_status = 'not_applicable' and joined.is_applicable and joined.value is null, false
        ) as city_claimed_not_applicable,
        case
            when not joined.is_applicable then 'not_applicable'
            when
                joined.report_value_status = 'not_applicable' and joined.value is null
                and params.accept_city_not_applicable
                then 'not_applicable'
            when joined.value is not null then 'reported'
            else 'missing'
        end as observed_status
    from joined
    cross join params
),

with_last as (
    select
        *,
        max(case when observed_status = 'reported' then period_index end) over (
            partition by city_code, indicator_code
            order by period_index
            rows between unbounded preceding and 1 preceding
        ) as last_reported_index
    from observed
),

carried as (
    select
        with_last.*,
        previous.period as carried_from_period,
        previous.value as carried_value,
        previous.milestone_status as carried_milestone_status,
        previous.file_id as carried_file_id,
        previous.original_name as carried_original_name,
        previous.sheet as carried_sheet,
        previous.source_row as carried_source_row,
        previous.feed_id as carried_feed_id,
        previous.snapshot_id as carried_snapshot_id,
        previous.record_number as carried_record_number,
        with_last.observed_status = 'missing'
        and previous.period is not null
        and with_last.period_index - with_last.last_reported_index <= params.carry_forward_quarters as is_carried
    from with_last
    cross join params
    left join observed as previous
        on
            with_last.observed_status = 'missing'
            and with_last.city_code = previous.city_code
            and with_last.indicator_code = previous.indicator_code
            and with_last.last_reported_index = previous.period_index
),

final as (
    select
        city_code,
        period,
        indicator_code,
        is_applicable,
        case when is_carried then carried_value else value end as value,
        case when is_carried then carried_milestone_status else milestone_status end as milestone_status,
        case
            when observed_status = 'missing' and is_carried then 'carried_forward'
            when observed_status = 'missing' then 'not_reported'
            else observed_status
        end as value_status,
        case
            when not is_applicable then 'catalogue_not_applicable'
            when observed_status = 'not_applicable' then 'city_claimed_not_applicable_accepted'
            when observed_status = 'reported' then null
            when city_claimed_not_applicable then 'city_claimed_not_applicable'
            when report_value_status is null and data_source != 'feed' then 'no_report_row'
            when data_source = 'feed' then 'no_feed_record'
            else 'blank'
        end as absence_reason,
        city_claimed_not_applicable,
        observed_status = 'reported' and value = 0 as is_true_zero,
        case when is_carried then carried_from_period end as carried_from_period,
        case when is_carried then period_index - last_reported_index end as quarters_carried,
        case when data_source = 'feed' then 'feed' else 'report' end as value_source,
        case when is_carried then carried_file_id else file_id end as file_id,
        case when is_carried then carried_original_name else original_name end as original_name,
        case when is_carried then carried_sheet else sheet end as sheet,
        case when is_carried then carried_source_row else source_row end as source_row,
        case when is_carried then carried_feed_id else feed_id end as feed_id,
        case when is_carried then carried_snapshot_id else snapshot_id end as snapshot_id,
        case when is_carried then carried_record_number else record_number end as record_number
    from carried
)

select * from final
