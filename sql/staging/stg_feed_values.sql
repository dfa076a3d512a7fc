-- Values from the current good snapshot of each open-data feed.
with source as (
    select * from raw.feed_records
),

final as (
    select
        feed_id,
        snapshot_id,
        record_number,
        city_code,
        period,
        indicator_code,
        value,
        value_status
    from source
    where city_code is not null and indicator_code is not null
)

select * from final
