-- incremental: period, city
-- One row per (city, period, indicator): the value in force, with the three kinds of absence kept apart.
-- value_status: reported | carried_forward (own last reported value, at most carry_forward_quarters old)
--   | not_reported (applicable, no usable value) | not_applicable (the catalogue's applies_to excludes the city)
--   | unknown (a feed indicator whose list is partial for the period and does not name the city).
-- Feed indicators backed by a complete list (staging.stg_evidence_lists) are 0 where the list does not name the
-- city: absence from a complete list is a fact (list_evidence = 'absent_from_complete_list').
-- A city's own 不适用 for an applicable indicator is accepted only if accept_city_not_applicable; by default it is
-- not_reported with absence_reason 'city_claimed_not_applicable'. A reported 0 is a true zero (is_true_zero).
-- Status items (状态事项) carry the status step 0..3 (未启动 .. 已完成) as value.
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

report_values as (
    select * from staging.stg_report_values
),

repeated_cells as (
    -- the few (city, period, indicator) with more than one report row (a resubmitted file)
    select
        city_code,
        period,
        indicator_code
    from report_values
    group by city_code, period, indicator_code
    having count(*) > 1
),

reports as (
    -- the latest report row per (city, period, indicator): a cell with one row is that row; only the repeated
    -- cells go through the arg_max aggregate (a struct per row into every group's state was most of the cost)
    select
        report_values.city_code,
        report_values.period,
        report_values.indicator_code,
        {
            'value_status': report_values.value_status,
            'status_step': report_values.status_step,
            'value': report_values.value,
            'file_key': report_values.file_key,
            'sheet': report_values.sheet,
            'source_row': report_values.source_row
        } as latest
    from report_values
    left join repeated_cells
        on
            report_values.city_code = repeated_cells.city_code
            and report_values.period = repeated_cells.period
            and report_values.indicator_code = repeated_cells.indicator_code
    where repeated_cells.city_code is null
    union all
    select
        report_values.city_code,
        report_values.period,
        report_values.indicator_code,
        arg_max(
            {
                'value_status': report_values.value_status,
                'status_step': report_values.status_step,
                'value': report_values.value,
                'file_key': report_values.file_key,
                'sheet': report_values.sheet,
                'source_row': report_values.source_row
            },
            {
                'received_at': report_values.received_at,
                'file_key': report_values.file_key,
                'source_row': report_values.source_row
            }
        ) as latest
    from report_values
    inner join repeated_cells
        on
            report_values.city_code = repeated_cells.city_code
            and report_values.period = repeated_cells.period
            and report_values.indicator_code = repeated_cells.indicator_code
    group by report_values.city_code, report_values.period, report_values.indicator_code
),

evidence_lists as (
    select * from staging.stg_evidence_lists
),

feed_values as (
    select * from staging.stg_feed_values
    where value is not null
),

feed_matched as (
    -- the feed value in force for feed-sourced cells only (as of the period: a feed may skip quarters)
    select
        spine.city_code,
        spine.period,
        spine.indicator_code,
        feed_values.feed_id,
        feed_values.snapshot_id,
        feed_values.record_number,
        feed_values.value
    from spine
    asof inner join feed_values
        on
            spine.city_code = feed_values.city_code
            and spine.indicator_code = feed_values.indicator_code
            and spine.period >= feed_values.period
    where spine.data_source = 'feed'
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
        reports.latest.value_status as report_value_status,
        reports.latest.status_step,
        case when spine.data_source != 'feed' then reports.latest.file_key end as file_key,
        case when spine.data_source != 'feed' then reports.latest.sheet end as sheet,
        case when spine.data_source != 'feed' then reports.latest.source_row end as source_row,
        case when spine.data_source = 'feed' then feed_matched.feed_id end as feed_id,
        case when spine.data_source = 'feed' then feed_matched.snapshot_id end as snapshot_id,
        case when spine.data_source = 'feed' then feed_matched.record_number end as record_number,
        case
            when spine.kind = 'status'
                then
                    case reports.latest.status_step
                        when '未启动' then 0 when '推进中' then 1 when '基本完成' then 2 when '已完成' then 3
                    end
            when spine.data_source = 'feed'
                then coalesce(feed_matched.value, case when evidence_lists.is_complete_now then 0 end)
            when reports.latest.value_status = 'reported' then reports.latest.value
        end as value,
        case
            when spine.data_source != 'feed' or evidence_lists.indicator_code is null then null
            when feed_matched.value is not null then 'listed'
            when evidence_lists.is_complete_now then 'absent_from_complete_list'
            else 'unknown_partial_list'
        end as list_evidence
    from spine
    left join reports
        on
            spine.city_code = reports.city_code
            and spine.period = reports.period
            and spine.indicator_code = reports.indicator_code
    left join feed_matched
        on
            spine.city_code = feed_matched.city_code
            and spine.period = feed_matched.period
            and spine.indicator_code = feed_matched.indicator_code
    left join (
        -- a list is complete for a period inside [complete_from, complete_to]: absence from it is then a fact (0)
        select
            evidence_lists.indicator_code,
            periods.period,
            coalesce(
                evidence_lists.completeness = 'complete' and evidence_lists.absent_means = 'zero'
                and periods.period between evidence_lists.complete_from and evidence_lists.complete_to,
                false
            ) as is_complete_now
        from evidence_lists
        cross join periods
    ) as evidence_lists
        on spine.indicator_code = evidence_lists.indicator_code and spine.period = evidence_lists.period
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
            -- a partial list says nothing of a city it does not name: unknown, neither scored nor missing
            when joined.list_evidence = 'unknown_partial_list' then 'unknown'
            else 'missing'
        end as observed_status
    from joined
    cross join params
),

missing as (
    select
        city_code,
        indicator_code,
        period_index
    from observed
    where observed_status = 'missing'
),

last_reported as (
    -- for each missing cell, its own latest reported cell at most carry_forward_quarters back: a join of the few
    -- missing cells against the reported ones, not a window over every cell
    select
        missing.city_code,
        missing.indicator_code,
        missing.period_index,
        arg_max(
            {
                'period_index': previous.period_index,
                'period': previous.period,
                'value': previous.value,
                'status_step': previous.status_step,
                'file_key': previous.file_key,
                'sheet': previous.sheet,
                'source_row': previous.source_row,
                'feed_id': previous.feed_id,
                'snapshot_id': previous.snapshot_id,
                'record_number': previous.record_number
            },
            previous.period_index
        ) as previous
    from missing
    cross join params
    inner join observed as previous
        on
            missing.city_code = previous.city_code
            and missing.indicator_code = previous.indicator_code
            and missing.period_index > previous.period_index
            and missing.period_index - params.carry_forward_quarters <= previous.period_index
    where previous.observed_status = 'reported'
    group by missing.city_code, missing.indicator_code, missing.period_index
),

carried as (
    select
        observed.*,
        last_reported.previous.period_index as last_reported_index,
        last_reported.previous.period as carried_from_period,
        last_reported.previous.value as carried_value,
        last_reported.previous.status_step as carried_status_step,
        last_reported.previous.file_key as carried_file_key,
        last_reported.previous.sheet as carried_sheet,
        last_reported.previous.source_row as carried_source_row,
        last_reported.previous.feed_id as carried_feed_id,
        last_reported.previous.snapshot_id as carried_snapshot_id,
        last_reported.previous.record_number as carried_record_number,
        last_reported.previous is not null as is_carried
    from observed
    left join last_reported
        on
            observed.city_code = last_reported.city_code
            and observed.indicator_code = last_reported.indicator_code
            and observed.period_index = last_reported.period_index
),

final as (
    select
        city_code,
        period,
        indicator_code,
        is_applicable,
        case when is_carried then carried_value else value end as value,
        case when is_carried then carried_status_step else status_step end as status_step,
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
            when observed_status = 'unknown' then 'partial_list'
            when data_source = 'feed' then 'no_feed_record'
            else 'blank'
        end as absence_reason,
        city_claimed_not_applicable,
        observed_status = 'reported' and value = 0 as is_true_zero,
        case when is_carried then carried_from_period end as carried_from_period,
        case when is_carried then period_index - last_reported_index end as quarters_carried,
        case when data_source = 'feed' then 'feed' else 'report' end as value_source,
        list_evidence,
        case when is_carried then carried_file_key else file_key end as file_key,
        case when is_carried then carried_sheet else sheet end as sheet,
        case when is_carried then carried_source_row else source_row end as source_row,
        case when is_carried then carried_feed_id else feed_id end as feed_id,
        case when is_carried then carried_snapshot_id else snapshot_id end as snapshot_id,
        case when is_carried then carried_record_number else record_number end as record_number
    from carried
)

select * from final
