{{ config(meta={'dagster': {'ref': {'name': 'summary_sessions'}}}) }}
-- R24: per WABA and month, NUMBER OF SESSIONS adds up to the opened conversations, and
-- AMOUNT adds up to their amounts.
with sessions as (
    select
        waba_id,
        cast({{ dbt.date_trunc('month', 'report_date') }} as date) as opened_month,
        sum(number_of_sessions) as sessions,
        sum(amount_usd) as amount_usd
    from {{ ref('summary_sessions') }}
    group by waba_id, cast({{ dbt.date_trunc('month', 'report_date') }} as date)
),

conversations as (
    -- By the UTC month of the report's DATE (a WABA's own months may straddle two).
    select
        waba_id,
        {{ month_of('opened_date') }} as opened_month,
        count(*) as sessions,
        sum(amount_usd) as amount_usd
    from {{ ref('fct_conversations') }}
    where is_opened
    group by waba_id, {{ month_of('opened_date') }}
)

select
    coalesce(sessions.waba_id, conversations.waba_id) as waba_id,
    coalesce(sessions.opened_month, conversations.opened_month) as opened_month
from sessions
full outer join conversations
    on
        sessions.waba_id = conversations.waba_id
        and sessions.opened_month = conversations.opened_month
where
    sessions.waba_id is null
    or conversations.waba_id is null
    or sessions.sessions != conversations.sessions
    or sessions.amount_usd != conversations.amount_usd
