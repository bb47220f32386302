-- One row per (WABA, month on the WABA's clock) whose free-tier places are ranked
-- again (R21, R36): every WABA a changed conversation's statuses name, with every month
-- one of its messages' statuses fall in (where it opens, now or before). Before the first
-- successful build: every WABA and month of a status.
-- depends_on: {{ ref('stg_webhook_logs__status_events') }}
with conversation_statuses as (
    {% if no_successful_build_yet() %}
        select
            conversation_id,
            true as names_conversation,
            waba_id,
            event_at
        from {{ ref('stg_webhook_logs__status_events') }}
        where conversation_id is not null
    {% else %}
        select * from {{ ref('changed_conversation_statuses') }}
    {% endif %}
),

conversation_wabas as (
    select distinct
        conversation_id,
        waba_id
    from conversation_statuses
    where names_conversation
),

wabas as (
    select * from {{ ref('dim_wabas') }}
),

final as (
    select distinct
        conversation_wabas.waba_id,
        {{ month_of(to_local_time(
            'conversation_statuses.event_at', "coalesce(wabas.time_zone, 'UTC')"
        )) }} as opened_month
    from conversation_wabas
    inner join conversation_statuses
        on conversation_wabas.conversation_id = conversation_statuses.conversation_id
    left join wabas
        on conversation_wabas.waba_id = wabas.waba_id
    where conversation_statuses.event_at is not null
)

select * from final
