{{ config(partition_replacement_config('webhook_logs', ['wamid'])) }}
-- One row per element of messages[] of every webhook POST, Meta's redeliveries
-- included (they are removed in stg_webhook_logs__incoming_messages, R2).
with webhook_logs as (
    select * from {{ source('raw', 'webhook_logs') }}
    -- Most POSTs carry only statuses: those are not parsed here.
    where
        {{ may_hold_json_key('raw_line', 'messages') }}
        {% if is_incremental() %}
            and {{ in_reloaded_partitions('webhook_logs') }}
        {% endif %}
),

{{ webhook_changes('webhook_logs') }},

messages as (
    select
        dt,
        source_file,
        line_number,
        received_at,
        loaded_at,
        waba_id,
        business_number,
        {{ json_array_elements('change', '$.value.messages') }} as message
    from business_changes
),

parsed as (
    select
        {{ json_string('message', '$.id') }} as wamid,
        waba_id,
        business_number,
        {{ json_string('message', '$.from') }} as user_number,
        lower({{ json_string('message', '$.type') }}) as message_format,
        -- R25: text body, else a media caption, else the button text, else empty.
        coalesce(
            {{ json_string('message', '$.text.body') }},
            {{ json_string('message', '$.image.caption') }},
            {{ json_string('message', '$.video.caption') }},
            {{ json_string('message', '$.document.caption') }},
            {{ json_string('message', '$.button.text') }}
        ) as message_text,
        {{ from_unix_seconds(json_string('message', '$.timestamp')) }} as created_at,
        {{ json_string('message', '$.referral.source_type') }} as referral_source_type,
        received_at,
        dt,
        source_file,
        line_number,
        loaded_at
    from messages
)

select * from parsed
