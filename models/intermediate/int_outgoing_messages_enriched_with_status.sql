{{ config(
    unique_key='message_id',
    pre_hook="{{ delete_changed_keys('message_id', 'changed_messages', where='not is_incoming') }}",
) }}
-- depends_on: {{ ref('changed_messages') }}
-- One row per outgoing message with its observed status timestamps, the flags of
-- R6-R8, its current status (R9), its failure reason (R25) and the conversation its
-- statuses name (R15).
with outgoing_messages as (
    select * from {{ ref('stg_api_logs__outgoing_messages') }}
    {% if is_incremental() %}
        where message_id in (
            select message_id from {{ ref('changed_messages') }}
            where not is_incoming
        )
    {% endif %}
),

status_events as (
    -- R3/R4: orphans and uncounted statuses feed nothing.
    select * from {{ ref('int_status_events_deduplicated') }}
    where
        not is_orphan
        and is_counted_status
        {% if is_incremental() %}
            and message_id in (
                select message_id from {{ ref('changed_messages') }}
                where not is_incoming
            )
        {% endif %}
),

error_codes as (
    select * from {{ ref('whatsapp_error_codes') }}
),

links as (
    -- R15: the conversation on the message's earliest status that carries one.
    select
        message_id,
        conversation_id,
        row_number() over (
            partition by message_id
            order by event_at, received_at, source_file, line_number, conversation_id
        ) as link_rank
    from status_events
    where conversation_id is not null
),

status_times as (
    -- R5: the earliest observed timestamp of each status; nothing is invented.
    select
        message_id,
        min(case when status = 'sent' then event_at end) as sent_at,
        min(case when status = 'delivered' then event_at end) as delivered_at,
        min(case when status = 'read' then event_at end) as seen_at,
        min(case when status = 'failed' then event_at end) as meta_failed_at
    from status_events
    group by message_id
),

meta_failures as (
    -- One `failed` row per message after deduplication: the earliest failed event.
    select
        status_events.message_id,
        coalesce(error_codes.reason, status_events.error_details, status_events.error_title)
            as meta_failure_reason
    from status_events
    left join error_codes
        on status_events.error_code = error_codes.code
    where status_events.status = 'failed'
),

flagged as (
    select
        outgoing_messages.*,
        status_times.sent_at,
        status_times.delivered_at,
        status_times.seen_at,
        status_times.meta_failed_at,
        meta_failures.meta_failure_reason,
        links.conversation_id,
        -- R6: accepted by Meta when Meta gave the message a wamid.
        outgoing_messages.wamid is not null as is_accepted,
        -- R7: a read implies a delivery Meta may not have reported.
        (status_times.delivered_at is not null or status_times.seen_at is not null)
            as is_delivered,
        status_times.seen_at is not null as is_read,
        (status_times.seen_at is not null and status_times.delivered_at is null)
            as has_implied_delivery,
        status_times.meta_failed_at is not null as has_failed_status
    from outgoing_messages
    left join status_times
        on outgoing_messages.message_id = status_times.message_id
    left join meta_failures
        on outgoing_messages.message_id = meta_failures.message_id
    left join links
        on
            outgoing_messages.message_id = links.message_id
            and links.link_rank = 1
),

final as (
    select
        flagged.*,
        -- R8: rejected before Meta, or failed at Meta without any delivery observed.
        (not is_accepted or (has_failed_status and not is_delivered)) as is_failed,
        -- R5: FAILED_AT only when the message counts as failed.
        case
            when not is_accepted then created_at
            when has_failed_status and not is_delivered then meta_failed_at
        end as failed_at,
        -- R9: read, delivered, failed, sent, rejected, in this order of precedence.
        case
            when is_read then 'read'
            when is_delivered then 'delivered'
            when has_failed_status then 'failed'
            when is_accepted then 'sent'
            else 'rejected'
        end as status,
        -- R25: REASON_FOR_FAILURE only on failed messages.
        case
            when not is_accepted then rejection_message
            when has_failed_status and not is_delivered then meta_failure_reason
        end as reason_for_failure
    from flagged
)

select * from final
