-- One row per conversation id whose row may change: named, now or before a reload
-- replaced it, by a status copy of a changed wamid (its statuses, its messages' links,
-- deliveries and orphan flags, R15-R19), of a business-scoped user whose country
-- may have changed (its market and price, R22), or of a WABA whose registry row may have
-- changed (its messages' pricing model, R32).
with status_copies as (
    select
        wamid,
        conversation_id,
        user_number,
        waba_id
    from {{ ref('stg_webhook_logs__status_events') }}
    union all
    select
        wamid,
        conversation_id,
        user_number,
        waba_id
    from {{ ref('replaced_rows') }}
    where staging_model = 'stg_webhook_logs__status_events'
),

changed_status_wamids as (
    select * from {{ ref('changed_status_wamids') }}
),

changed_users as (
    select * from {{ ref('changed_users') }}
),

changed_wabas as (
    select * from {{ ref('changed_wabas') }}
),

final as (
    select distinct conversation_id
    from status_copies
    where
        conversation_id is not null
        and (
            wamid in (select changed_status_wamids.wamid from changed_status_wamids)
            or user_number in (select changed_users.user_number from changed_users)
            or waba_id in (select changed_wabas.waba_id from changed_wabas)
        )
)

select * from final
