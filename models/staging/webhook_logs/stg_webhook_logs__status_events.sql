{{ config(
    unique_key='dt',
    pre_hook=[
        "{{ log_replaced_rows('webhook_logs', {'wamid': 'wamid', 'conversation_id': 'conversation_id',"
        " 'waba_id': 'waba_id', 'business_number': 'business_number', 'user_number': 'user_number',"
        " 'happened_at': 'event_at', 'conversation_expires_at': 'conversation_expires_at'}) }}",
        "{{ delete_changed_keys('dt', 'changed_partitions', where=\"source = 'webhook_logs'\") }}",
    ],
) }}
-- depends_on: {{ ref('changed_partitions') }}
-- One row per element of statuses[] in every entry and change of every webhook POST,
-- redeliveries included (they are removed in int_status_events_deduplicated, R3).
with webhook_logs as (
    select * from {{ source('raw', 'webhook_logs') }}
    {% if is_incremental() %}
        -- Reloaded partitions replace their rows; the others keep them.
        where dt in ({{ changed_partitions_of('webhook_logs') }})
    {% endif %}
),

{{ webhook_changes('webhook_logs', {'statuses': [{
    'id': 'string',
    'status': 'string',
    'timestamp': 'string',
    'recipient_id': 'string',
    'recipient_user_id': 'string',
    'conversation': {'id': 'string', 'expiration_timestamp': 'string', 'origin': {'type': 'string'}},
    'pricing': {'billable': 'string', 'pricing_model': 'string', 'type': 'string', 'category': 'string'},
    'errors': 'json',
}]}) }},

statuses as (
    select
        {{ raw_line_lineage() }},
        waba_id,
        business_number,
        {{ array_elements('change.value.statuses') }} as status_event
    from business_changes
    -- R26: `history`, `smb_message_echoes` and the other fields load no rows, whatever
    -- their value holds.
    where is_messages_change
),

final as (
    select
        status_event.id as wamid,
        lower(status_event.status) as status,
        {{ from_unix_seconds('status_event.timestamp') }} as event_at,
        waba_id,
        business_number,
        -- R26/R14: empty for a business-scoped user (then its `recipient_user_id`),
        -- a group id for a group message.
        coalesce(
            nullif(status_event.recipient_id, ''), nullif(status_event.recipient_user_id, '')
        ) as user_number,
        status_event.conversation.id as conversation_id,
        {{ from_unix_seconds('status_event.conversation.expiration_timestamp') }}
            as conversation_expires_at,
        status_event.conversation.origin.type as conversation_origin_type,
        -- R31: the pricing label as Meta sent it; read in int_outgoing_messages_enriched_with_status.
        status_event.pricing.pricing_model,
        status_event.pricing.type as pricing_type,
        status_event.pricing.category as pricing_category,
        lower(status_event.pricing.billable) = 'true' as is_pricing_billable,
        {{ json_string('status_event.errors', '$[0].code') }} as error_code,
        {{ json_string('status_event.errors', '$[0].title') }} as error_title,
        {{ json_string('status_event.errors', '$[0].error_data.details') }} as error_details,
        received_at,
        dt,
        source_file,
        line_number,
        loaded_at
    from statuses
)

select * from final
