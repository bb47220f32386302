-- One row per status copy, now or replaced since the last successful build, of every
-- wamid that a status copy of a changed conversation names: where that conversation
-- can have been and can be. A conversation's parties and WABA come from the copies
-- that name it (R15); it opens at a delivery of one of its messages (R16), so within
-- the times of these copies, and its window ends at the latest expiration they carry,
-- or 24 hours after (R18). Read for the months its free tier ranks in (R21) and the
-- incoming messages its window can hold. Before the first successful build, when every
-- month and message is new (changed_waba_months, changed_messages), it holds no row.
with status_copies as (
    select
        wamid,
        conversation_id,
        waba_id,
        business_number,
        user_number,
        event_at,
        conversation_expires_at
    from {{ ref('stg_webhook_logs__status_events') }}
    union all
    select
        wamid,
        conversation_id,
        waba_id,
        business_number,
        user_number,
        happened_at as event_at,
        conversation_expires_at
    from {{ ref('replaced_rows') }}
    where staging_model = 'stg_webhook_logs__status_events'
),

changed_conversations as (
    select * from {{ ref('changed_conversations') }}
),

conversation_wamids as (
    select distinct
        conversation_id,
        wamid
    from status_copies
    where
        {% if no_successful_build_yet() %}
            false
        {% else %}
            conversation_id in (select changed_conversations.conversation_id from changed_conversations)
        {% endif %}
),

final as (
    select
        conversation_wamids.conversation_id,
        status_copies.wamid,
        coalesce(status_copies.conversation_id = conversation_wamids.conversation_id, false)
            as names_conversation,
        status_copies.waba_id,
        status_copies.business_number,
        status_copies.user_number,
        status_copies.event_at,
        status_copies.conversation_expires_at
    from conversation_wamids
    inner join status_copies
        on conversation_wamids.wamid = status_copies.wamid
    {% if no_successful_build_yet() %}
        where false
    {% endif %}
)

select * from final
