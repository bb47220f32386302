-- One row per incoming message (wamid) whose received copies changed: a copy loaded
-- since the last successful build, or one a reload replaced (R2).
with message_copies as (
    select * from {{ ref('stg_webhook_logs__incoming_message_copies') }}
),

replaced_rows as (
    select * from {{ ref('replaced_rows') }}
    where staging_model = 'stg_webhook_logs__incoming_message_copies'
),

change_window as (
    select * from {{ ref('change_window') }}
),

final as (
    select message_copies.wamid
    from message_copies
    cross join change_window
    where message_copies.loaded_at > change_window.changed_after
    union
    select wamid
    from replaced_rows
)

select * from final
where wamid is not null
