-- Each independent list or registry behind a feed indicator and whether it is complete (absence from it is a fact,
-- scored 0) or partial (absence is unknown), with the periods for which it is complete (seeds/evidence_lists.csv).
with source as (
    select * from seeds.evidence_lists
),

final as (
    select
        indicator_code,
        feed_id,
        program as list_name,
        completeness,
        nullif(complete_from, '') as complete_from,
        nullif(complete_to, '') as complete_to,
        absent_means,
        cast(synthetic as boolean) as is_synthetic,
        note as list_note
    from source
)

select * from final
