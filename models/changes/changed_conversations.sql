-- One row per conversation id whose row may change: named, now or before a reload
-- replaced it, by a status copy of a changed wamid (its statuses, its messages' links,
-- deliveries and orphan flags, R15-R19), or of a business-scoped user whose country
-- may have changed (its market and price, R22).
with status_copies as (
    select
        wamid,
        conversation_id,
        user_number
    from {{ ref('stg_webhook_logs__status_events') }}
    union all
    select
        wamid,
        conversation_id,
        user_number
    from {{ ref('replaced_rows') }}
    where staging_model = 'stg_webhook_logs__status_events'
),

changed_status_wamids as (
    select * from {{ ref('changed_status_wamids') }}
),

changed_users as (
    select * from {{ ref('changed_users') }}
),

final as (
    select distinct conversation_id
    from status_copies
    where
        conversation_id is not null
        and (
            wamid in (select changed_status_wamids.wamid from changed_status_wamids)
            or user_number in (select changed_users.user_number from changed_users)
        )
)

select * from final
