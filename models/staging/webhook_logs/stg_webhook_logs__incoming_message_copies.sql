{{
    config(
        materialized='incremental',
        incremental_strategy=partition_replacement_strategy(),
        partition_by=['dt'],
        pre_hook="{{ clear_reloaded_partitions('webhook_logs') }}",
    )
}}
-- One row per element of messages[] of every webhook POST, Meta's redeliveries
-- included (they are removed in stg_webhook_logs__incoming_messages, R2).
with webhook_logs as (
    select * from {{ source('raw', 'webhook_logs') }}
    {% if is_incremental() %}
        where {{ in_reloaded_partitions('webhook_logs') }}
    {% endif %}
),

entries as (
    select
        source_file,
        line_number,
        received_at,
        dt,
        loaded_at,
        {{ json_array_elements('raw_line', '$.body.entry') }} as entry
    from webhook_logs
),

changes as (
    select
        source_file,
        line_number,
        received_at,
        dt,
        loaded_at,
        {{ json_string('entry', '$.id') }} as waba_id,
        {{ json_array_elements('entry', '$.changes') }} as change
    from entries
),

messages as (
    select
        source_file,
        line_number,
        received_at,
        dt,
        loaded_at,
        waba_id,
        {{ json_string('change', '$.value.metadata.display_phone_number') }} as business_number,
        {{ json_array_elements('change', '$.value.messages') }} as message
    from changes
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
