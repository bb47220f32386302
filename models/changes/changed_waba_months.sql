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

waba_days as (
    -- The UTC days of each WABA's statuses: a few per WABA, whatever the traffic.
    select distinct
        conversation_wabas.waba_id,
        cast(conversation_statuses.event_at as date) as event_date
    from conversation_wabas
    inner join conversation_statuses
        on conversation_wabas.conversation_id = conversation_statuses.conversation_id
    where conversation_statuses.event_at is not null
),

day_bounds as (
    -- A UTC day's first and last moment, on the WABA's clock, fall in the months the day
    -- reaches there.
    select
        waba_days.waba_id,
        coalesce(wabas.time_zone, 'UTC') as time_zone,
        cast(waba_days.event_date as {{ dbt.type_timestamp() }}) as day_start,
        {{ dbt.dateadd(
            'second', -1, dbt.dateadd('day', 1, 'cast(waba_days.event_date as ' ~ dbt.type_timestamp() ~ ')')
        ) }} as day_end
    from waba_days
    left join wabas
        on waba_days.waba_id = wabas.waba_id
),

final as (
    select distinct
        waba_id,
        {{ month_of(to_local_time('day_start', 'time_zone')) }} as opened_month
    from day_bounds
    union
    select distinct
        waba_id,
        {{ month_of(to_local_time('day_end', 'time_zone')) }} as opened_month
    from day_bounds
)

select * from final
