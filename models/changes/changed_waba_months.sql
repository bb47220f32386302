-- One row per (WABA, UTC month) whose free-tier places are ranked again (R21): every
-- WABA a changed conversation's statuses name, with every month one of its messages'
-- statuses fall in (where it opens, now or before). Before the first successful build:
-- every WABA and month of a status.
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

conversation_months as (
    select distinct
        conversation_id,
        {{ month_of('event_at') }} as opened_month
    from conversation_statuses
    where event_at is not null
),

final as (
    select distinct
        conversation_wabas.waba_id,
        conversation_months.opened_month
    from conversation_wabas
    inner join conversation_months
        on conversation_wabas.conversation_id = conversation_months.conversation_id
)

select * from final
