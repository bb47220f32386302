{{ config(partition_replacement_config('webhook_logs', ['wamid'])) }}
-- One row per element of messages[] of every webhook POST, Meta's redeliveries
-- included (they are removed in stg_webhook_logs__incoming_messages, R2).
with webhook_logs as (
    select * from {{ source('raw', 'webhook_logs') }}
    {% if is_incremental() %}
        where {{ in_reloaded_partitions('webhook_logs') }}
    {% endif %}
),

{{ webhook_changes('webhook_logs', {'messages': [{
    'id': 'string',
    'from': 'string',
    'type': 'string',
    'timestamp': 'string',
    'text': {'body': 'string'},
    'image': {'caption': 'string'},
    'video': {'caption': 'string'},
    'document': {'caption': 'string'},
    'button': {'text': 'string'},
    'referral': {'source_type': 'string'},
}]}) }},

messages as (
    select
        {{ raw_line_lineage() }},
        waba_id,
        business_number,
        {{ array_elements('change.value.messages') }} as message
    from business_changes
),

parsed as (
    select
        message.id as wamid,
        waba_id,
        business_number,
        message.{{ adapter.quote('from') }} as user_number,
        lower(message.type) as message_format,
        -- R25: text body, else a media caption, else the button text, else empty.
        coalesce(
            message.text.body,
            message.image.caption,
            message.video.caption,
            message.document.caption,
            message.button.text
        ) as message_text,
        {{ from_unix_seconds('message.timestamp') }} as created_at,
        message.referral.source_type as referral_source_type,
        received_at,
        dt,
        source_file,
        line_number,
        loaded_at
    from messages
)

select * from parsed
{{ whole_build_order('dt') }}
