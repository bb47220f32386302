{{ config(
    unique_key='wamid',
    pre_hook="{{ delete_changed_keys('wamid', 'changed_status_wamids') }}",
) }}
-- depends_on: {{ ref('changed_status_wamids') }}
-- One row per (wamid, status): the earliest observed event of each status of each
-- message (R3), flagged when no outgoing message has that wamid (orphan) and when the
-- status changes no count (R4: deleted, played, warning, unknown values).
with status_events as (
    select * from {{ ref('stg_webhook_logs__status_events') }}
    {% if is_incremental() %}
        where wamid in (select wamid from {{ ref('changed_status_wamids') }})
    {% endif %}
),

outgoing_wamids as (
    select
        wamid,
        min(message_id) as message_id
    from {{ ref('stg_api_logs__outgoing_messages') }}
    where
        wamid is not null
        {% if is_incremental() %}
            and wamid in (select wamid from {{ ref('changed_status_wamids') }})
        {% endif %}
    group by wamid
),

ranked as (
    select
        status_events.*,
        row_number() over (
            partition by wamid, status
            order by event_at, received_at, source_file, line_number, conversation_id
        ) as event_rank
    from status_events
),

final as (
    select
        ranked.wamid,
        ranked.status,
        outgoing_wamids.message_id,
        ranked.event_at,
        ranked.waba_id,
        ranked.business_number,
        ranked.user_number,
        ranked.conversation_id,
        ranked.conversation_expires_at,
        ranked.conversation_origin_type,
        ranked.pricing_model,
        ranked.pricing_type,
        ranked.pricing_category,
        ranked.is_pricing_billable,
        ranked.error_code,
        ranked.error_title,
        ranked.error_details,
        ranked.received_at,
        ranked.dt,
        ranked.source_file,
        ranked.line_number,
        outgoing_wamids.message_id is null as is_orphan,
        ranked.status in ('sent', 'delivered', 'read', 'failed') as is_counted_status
    from ranked
    left join outgoing_wamids
        on ranked.wamid = outgoing_wamids.wamid
    where ranked.event_rank = 1
)

select * from final
