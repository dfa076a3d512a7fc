-- Dated changes of an indicator's weight or direction (seeds/indicator_changes.csv), e.g. when national policy
-- reverses: from effective_from on, the new value replaces the catalogue's.
with source as (
    select * from seeds.indicator_changes
),

final as (
    select
        indicator_code,
        effective_from,
        field as changed_field,
        value as changed_value,
        reason as change_reason,
        source as change_source
    from source
)

select * from final
