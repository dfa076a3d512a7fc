-- The report files in force by file_key, with what the marts show of a file (its SHA-256 file_id and the name it was
-- sent under): the intermediate models carry only the integer file_key, and the marts join it back here.
with files as (
    select * from staging.stg_report_files
),

final as (
    select
        file_key,
        file_id,
        original_name
    from files
)

select * from final
