-- Failed messages per day and REASON_FOR_FAILURE (R8, R25), most frequent first.
with messages as (
    select * from {{ ref('fct_messages') }}
    where is_failed
)

select
    report_date,
    case when is_accepted then 'at Meta' else 'before Meta' end as failed_where,
    reason_for_failure,
    count(*) as failed_messages
from messages
group by report_date, is_accepted, reason_for_failure
order by report_date, failed_messages desc, reason_for_failure
