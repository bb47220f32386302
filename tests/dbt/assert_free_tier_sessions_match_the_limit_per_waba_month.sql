{{ config(meta={'dagster': {'ref': {'name': 'summary_sessions'}}}) }}
-- R24: per WABA and month, sessions with FREE TIER = min(limit, eligible opened
-- conversations), computed here from the fact and the rules seed, not from the flag.
with conversations as (
    select * from {{ ref('fct_conversations') }}
    where is_opened
),

rules as (
    select * from {{ ref('free_tier_rules') }}
),

summary as (
    select
        waba_id,
        cast({{ dbt.date_trunc('month', 'report_date') }} as date) as opened_month,
        sum(case when is_free_tier then number_of_sessions else 0 end) as free_sessions
    from {{ ref('summary_sessions') }}
    group by waba_id, cast({{ dbt.date_trunc('month', 'report_date') }} as date)
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
        ) as eligible_conversations
    from conversations
    left join rules
        on
            conversations.opened_date >= rules.effective_from
            and (rules.effective_to is null or conversations.opened_date <= rules.effective_to)
    group by conversations.waba_id, conversations.opened_month
)

select
    eligible.*,
    summary.free_sessions
from eligible
left join summary
    on
        eligible.waba_id = summary.waba_id
        and eligible.opened_month = summary.opened_month
where
    coalesce(summary.free_sessions, 0) != case
        when eligible.monthly_limit is null then 0
        when eligible.eligible_conversations < eligible.monthly_limit
            then eligible.eligible_conversations
        else eligible.monthly_limit
    end
