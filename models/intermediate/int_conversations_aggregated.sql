{{ config(
    unique_key='conversation_id',
    pre_hook="{{ delete_changed_keys('conversation_id', 'changed_conversations') }}",
) }}
-- depends_on: {{ ref('changed_conversations') }}
-- One row per conversation.id seen on a counted, non-orphan status of a message priced
-- per conversation (R15, R32), with who it is between, its origin type, when it opened
-- (R16), when its window ends (R18) and the message whose delivery opened it (R19).
with messages as (
    -- The outgoing messages linked to the conversation (R15). R32: a message priced per
    -- message never opens, joins or counts toward a conversation.
    select * from {{ ref('int_outgoing_messages_enriched_with_status') }}
    where
        conversation_id is not null
        and pricing_model = 'CBP'
        {% if is_incremental() %}
            and conversation_id in (select conversation_id from {{ ref('changed_conversations') }})
        {% endif %}
),

status_events as (
    select * from {{ ref('int_status_events_deduplicated') }}
    where
        not is_orphan
        and is_counted_status
        and conversation_id is not null
        and message_id in (
            select priced_per_conversation.message_id
            from {{ ref('int_outgoing_messages_enriched_with_status') }} as priced_per_conversation
            where priced_per_conversation.pricing_model = 'CBP'
        )
        {% if is_incremental() %}
            and conversation_id in (select conversation_id from {{ ref('changed_conversations') }})
        {% endif %}
),

first_statuses as (
    -- R15: WABA, business number and user from the statuses naming the conversation.
    select
        conversation_id,
        waba_id,
        business_number,
        user_number,
        row_number() over (
            partition by conversation_id
            order by event_at, received_at, source_file, line_number, wamid, status
        ) as status_rank
    from status_events
),

origins as (
    -- R15: the type from the earliest status carrying origin.type.
    select
        conversation_id,
        conversation_origin_type as origin_type,
        row_number() over (
            partition by conversation_id
            order by event_at, received_at, source_file, line_number, wamid, status
        ) as origin_rank
    from status_events
    where conversation_origin_type is not null
),

expirations as (
    select
        conversation_id,
        max(conversation_expires_at) as latest_expiration_at
    from status_events
    group by conversation_id
),

message_deliveries as (
    -- R16: a message is delivered at its earliest delivered or read timestamp.
    select
        conversation_id,
        message_id,
        created_at,
        case
            when delivered_at is null then seen_at
            when seen_at is null then delivered_at
            when seen_at < delivered_at then seen_at
            else delivered_at
        end as first_delivered_at
    from messages
),

openings as (
    -- R19: the delivery that opened the conversation; ties by CREATED_AT, then id.
    select
        conversation_id,
        message_id as opening_message_id,
        first_delivered_at as opened_at,
        row_number() over (
            partition by conversation_id
            order by first_delivered_at, created_at, message_id
        ) as opening_rank
    from message_deliveries
    where first_delivered_at is not null
),

message_counts as (
    select
        conversation_id,
        count(*) as outgoing_messages
    from messages
    group by conversation_id
),

final as (
    select
        first_statuses.conversation_id,
        first_statuses.waba_id,
        first_statuses.business_number,
        first_statuses.user_number,
        origins.origin_type,
        openings.opened_at,
        openings.opening_message_id,
        openings.opened_at is not null as is_opened,
        -- R18: the latest observed expiration, else 24 hours after opening.
        case
            when openings.opened_at is null then null
            when expirations.latest_expiration_at is not null
                then expirations.latest_expiration_at
            else {{ dbt.dateadd('hour', 24, 'openings.opened_at') }}
        end as expires_at,
        coalesce(message_counts.outgoing_messages, 0) as outgoing_messages
    from first_statuses
    left join origins
        on
            first_statuses.conversation_id = origins.conversation_id
            and origins.origin_rank = 1
    left join expirations
        on first_statuses.conversation_id = expirations.conversation_id
    left join openings
        on
            first_statuses.conversation_id = openings.conversation_id
            and openings.opening_rank = 1
    left join message_counts
        on first_statuses.conversation_id = message_counts.conversation_id
    where first_statuses.status_rank = 1
)

select * from final
