-- One row per incoming message (an element of messages[]), redeliveries counted once:
-- the earliest received copy of each wamid (R2).
with webhook_logs as (
    select * from {{ source('raw', 'webhook_logs') }}
),

entries as (
    select
        source_file,
        line_number,
        received_at,
        dt,
        {{ json_array_elements('raw_line', '$.body.entry') }} as entry
    from webhook_logs
),

changes as (
    select
        source_file,
        line_number,
        received_at,
        dt,
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
        line_number
    from messages
),

ranked as (
    select
        parsed.*,
        row_number() over (
            partition by wamid
            order by received_at, source_file, line_number
        ) as copy_rank
    from parsed
),

final as (
    select
        wamid,
        waba_id,
        business_number,
        user_number,
        message_format,
        message_text,
        created_at,
        referral_source_type,
        received_at,
        dt,
        source_file,
        line_number
    from ranked
    where copy_rank = 1
)

select * from final
