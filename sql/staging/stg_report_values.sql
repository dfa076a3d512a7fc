-- Staged report rows of the files currently in force (accepted, not superseded), one row per item sent. The file is
-- named by file_key (staging.stg_report_files: file_id and original_name).
with files as (
    select * from staging.stg_report_files
),

report_rows as (
    select * from raw.report_rows
),

final as (
    select
        files.file_key,
        report_rows.sheet,
        report_rows.row_number as source_row,
        report_rows.city_code,
        report_rows.period,
        report_rows.kind,
        report_rows.indicator_code,
        report_rows.value,
        report_rows.value_status,
        report_rows.status_step,
        report_rows.city_target_2018,
        report_rows.city_target_2025,
        files.received_at
    from report_rows
    inner join files on report_rows.file_id = files.file_id
)

select * from final
