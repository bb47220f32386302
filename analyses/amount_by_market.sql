-- Sessions and amount charged per Meta pricing market, month and session type (R22).
with conversations as (
    select * from {{ ref('fct_conversations') }}
    where is_opened
)

select
    pricing_market,
    opened_month,
    session_type,
    count(*) as sessions,
    sum(case when is_chargeable then 1 else 0 end) as charged_sessions,
    sum(amount_usd) as amount_usd
from conversations
group by pricing_market, opened_month, session_type
order by pricing_market, opened_month, session_type
