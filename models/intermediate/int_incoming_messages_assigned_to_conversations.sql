{{ config(
    unique_key='wamid',
    pre_hook="{{ delete_changed_keys('wamid', 'changed_messages', 'message_id', where='is_incoming') }}",
) }}
-- depends_on: {{ ref('changed_messages') }}
-- One row per incoming message that falls inside an opened conversation window of the
-- same business number and user (R18): [opened_at, expires_at), the one opened last
-- when several contain it. Messages outside every window have no row.
with incoming_messages as (
    select * from {{ ref('stg_webhook_logs__incoming_messages') }}
    {% if is_incremental() %}
        where wamid in (
            select message_id from {{ ref('changed_messages') }}
            where is_incoming
        )
    {% endif %}
),

conversations as (
    select * from {{ ref('int_conversations_aggregated') }}
    where is_opened
),

containing_windows as (
    select
        incoming_messages.wamid,
        conversations.conversation_id,
        row_number() over (
            partition by incoming_messages.wamid
            order by conversations.opened_at desc, conversations.conversation_id desc
        ) as window_rank
    from incoming_messages
    inner join conversations
        on
            incoming_messages.business_number = conversations.business_number
            and incoming_messages.user_number = conversations.user_number
            and incoming_messages.created_at >= conversations.opened_at
            and incoming_messages.created_at < conversations.expires_at
),

final as (
    select
        wamid,
        conversation_id
    from containing_windows
    where window_rank = 1
)

select * from final
