-- Free-tier use per WABA and UTC month against its limit (R20, R21, R24).
with conversations as (
    select * from {{ ref('fct_conversations') }}
    where is_opened
)

select
    waba_id,
    opened_month,
    max(free_tier_monthly_limit) as monthly_limit,
    sum(case when is_free_tier_eligible then 1 else 0 end) as eligible_conversations,
    sum(case when is_free_tier then 1 else 0 end) as free_conversations,
    count(*) as opened_conversations
from conversations
group by waba_id, opened_month
order by waba_id, opened_month
