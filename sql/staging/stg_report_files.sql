-- The report files in force (accepted, not superseded), one row each, with file_key: the first 60 bits of the
-- file's SHA-256 file_id as an integer. It sorts files as file_id does (the tie-break of a repeated cell) and, unlike
-- a rank over all files, it does not move when another file arrives: a late report leaves every other period's rows
-- as they were, which the incremental build (transforms/build/increment.py) relies on. It refuses a duplicate key.
-- The intermediate models carry file_key instead of the 64-character SHA-256 file_id and the file name: on each of
-- their 1.3 M rows at L a string like that costs about fifteen times an integer to store. The marts join file_key
-- back to file_id and original_name (intermediate.int_report_files).
with files as (
    select * from raw.report_files
    where status = 'accepted'
),

final as (
    select
        coalesce(
            try_cast('0x' || left(file_id, 15) as bigint),
            -- an id that is not hexadecimal (hand-made test data): a hash of it
            cast(hash(file_id) >> 4 as bigint)
        ) as file_key,
        file_id,
        original_name,
        received_at
    from files
)

select * from final
