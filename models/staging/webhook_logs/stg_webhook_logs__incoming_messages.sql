{{ config(
    unique_key='wamid',
    pre_hook="{{ delete_changed_keys('wamid', 'changed_incoming_messages') }}",
) }}
-- depends_on: {{ ref('changed_incoming_messages') }}
-- One row per incoming message (an element of messages[]), redeliveries counted once:
-- the earliest received copy of each wamid (R2).
with message_copies as (
    select * from {{ ref('stg_webhook_logs__incoming_message_copies') }}
    {% if is_incremental() %}
        where wamid in (select wamid from {{ ref('changed_incoming_messages') }})
    {% endif %}
),

ranked as (
    select
        message_copies.*,
        row_number() over (
            partition by wamid
            order by received_at, source_file, line_number
        ) as copy_rank
    from message_copies
),

final as (
    select
        wamid,
        waba_id,
        business_number,
        user_number,
        is_business_scoped_user,
        profile_country_code,
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
