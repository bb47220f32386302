{{ config(meta={'dagster': {'ref': {'name': 'summary_sessions'}}}) }}
-- R24: per WABA and month on the WABA's clock, conversations with FREE TIER = min(limit,
-- eligible opened conversations), computed here from the fact and the rules seed; and
-- per WABA and UTC month (the report's dates) the summary's free sessions are those
-- conversations.
with conversations as (
    select * from {{ ref('fct_conversations') }}
    where is_opened
),

rules as (
    select * from {{ ref('free_tier_rules') }}
),

eligible as (
    select
        conversations.waba_id,
        conversations.opened_month,
        max(rules.monthly_limit) as monthly_limit,
        sum(
            case
                when
                    {{ dbt.concat(["'|'", 'rules.eligible_origin_types', "'|'"]) }}
                    like {{ dbt.concat(["'%|'", 'conversations.origin_type', "'|%'"]) }}
                    then 1
                else 0
            end
        ) as eligible_conversations,
        sum(case when conversations.is_free_tier then 1 else 0 end) as free_conversations
    from conversations
    left join rules
        on
            conversations.opened_local_date >= rules.effective_from
            and (
                rules.effective_to is null
                or conversations.opened_local_date <= rules.effective_to
            )
    group by conversations.waba_id, conversations.opened_month
),

limit_broken as (
    select
        waba_id,
        opened_month
    from eligible
    where
        free_conversations != case
            when monthly_limit is null then 0
            when eligible_conversations < monthly_limit then eligible_conversations
            else monthly_limit
        end
),

summary as (
    select
        waba_id,
        {{ month_of('report_date') }} as report_month,
        sum(case when is_free_tier then number_of_sessions else 0 end) as free_sessions
    from {{ ref('summary_sessions') }}
    group by waba_id, {{ month_of('report_date') }}
),

fact as (
    select
        waba_id,
        {{ month_of('opened_date') }} as report_month,
        sum(case when is_free_tier then 1 else 0 end) as free_sessions
    from conversations
    group by waba_id, {{ month_of('opened_date') }}
),

summary_differs as (
    select
        coalesce(summary.waba_id, fact.waba_id) as waba_id,
        coalesce(summary.report_month, fact.report_month) as opened_month
    from summary
    full outer join fact
        on
            summary.waba_id = fact.waba_id
            and summary.report_month = fact.report_month
    where coalesce(summary.free_sessions, 0) != coalesce(fact.free_sessions, 0)
)

select * from limit_broken
union all
select * from summary_differs
