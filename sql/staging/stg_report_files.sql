-- The report files in force (accepted, not superseded), one row each, with file_key: the file's rank by file_id.
-- The intermediate models carry file_key instead of the 64-character SHA-256 file_id and the file name: on each of
-- their 1.3 M rows at L a string like that costs about fifteen times an integer to store. The marts join file_key
-- back to file_id and original_name (intermediate.int_report_files).
with files as (
    select * from raw.report_files
    where status = 'accepted'
),

final as (
    select
        cast(row_number() over (order by file_id) as integer) as file_key,
        file_id,
        original_name,
        received_at
    from files
)

select * from final
