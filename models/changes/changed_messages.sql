-- One row per message (outgoing message_id, incoming wamid) whose fact row may change:
-- - outgoing: its request changed (R1), its statuses changed (R3-R9), its user is a
--   business-scoped user whose country may have changed (R14), a conversation its
--   statuses name changed (its type and opening, R19), or its WABA's registry row may
--   have (the era of an unlabelled message, R32, R36);
-- - incoming: its copies changed (R2), its user's country may have changed, or it falls
--   in the span where a changed conversation's window can be, for the same business
--   number and user (R18).
with request_recipients as (
    select * from {{ ref('stg_api_logs__request_recipients') }}
),

outgoing_messages as (
    select * from {{ ref('stg_api_logs__outgoing_messages') }}
),

incoming_messages as (
    select * from {{ ref('stg_webhook_logs__incoming_messages') }}
),

replaced_requests as (
    select * from {{ ref('replaced_rows') }}
    where staging_model = 'stg_api_logs__request_recipients'
),

changed_requests as (
    select * from {{ ref('changed_requests') }}
),

changed_status_wamids as (
    select * from {{ ref('changed_status_wamids') }}
),

changed_incoming_messages as (
    select * from {{ ref('changed_incoming_messages') }}
),

changed_users as (
    select * from {{ ref('changed_users') }}
),

changed_wabas as (
    select * from {{ ref('changed_wabas') }}
),

conversation_statuses as (
    select * from {{ ref('changed_conversation_statuses') }}
),

conversation_spans as (
    -- Where each changed conversation's window can be: from the earliest status of its
    -- messages to the latest expiration, or 24 hours after the latest status.
    select
        conversation_id,
        min(event_at) as span_from,
        max(conversation_expires_at) as latest_expiration_at,
        {{ dbt.dateadd('hour', 24, 'max(event_at)') }} as day_after_latest_status
    from conversation_statuses
    group by conversation_id
),

conversation_parties as (
    select distinct
        conversation_id,
        business_number,
        user_number
    from conversation_statuses
    where names_conversation
),

outgoing as (
    select request_recipients.message_id
    from request_recipients
    where request_recipients.request_id in (select changed_requests.request_id from changed_requests)
    union
    select message_id
    from replaced_requests
    union
    select outgoing_messages.message_id
    from outgoing_messages
    where
        outgoing_messages.wamid in (select changed_status_wamids.wamid from changed_status_wamids)
        or outgoing_messages.wamid in (select conversation_statuses.wamid from conversation_statuses)
        or outgoing_messages.user_number in (select changed_users.user_number from changed_users)
        or outgoing_messages.waba_id in (select changed_wabas.waba_id from changed_wabas)
),

incoming as (
    select wamid
    from changed_incoming_messages
    union
    select incoming_messages.wamid
    from incoming_messages
    where incoming_messages.user_number in (select changed_users.user_number from changed_users)
    union
    select incoming_messages.wamid
    from incoming_messages
    inner join conversation_parties
        on
            incoming_messages.business_number = conversation_parties.business_number
            and incoming_messages.user_number = conversation_parties.user_number
    inner join conversation_spans
        on conversation_parties.conversation_id = conversation_spans.conversation_id
    where
        incoming_messages.created_at >= conversation_spans.span_from
        and (
            incoming_messages.created_at < conversation_spans.latest_expiration_at
            or incoming_messages.created_at < conversation_spans.day_after_latest_status
        )
),

final as (
    {% if no_successful_build_yet() %}
        -- Before the first successful build every message is new.
        select
            message_id,
            false as is_incoming
        from outgoing_messages
        union all
        select
            wamid as message_id,
            true as is_incoming
        from incoming_messages
    {% else %}
        select
            message_id,
            false as is_incoming
        from outgoing
        where message_id is not null
        union all
        select
            wamid as message_id,
            true as is_incoming
        from incoming
        where wamid is not null
    {% endif %}
)

select * from final
