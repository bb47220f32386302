{{ config(meta={'dagster': {'ref': {'name': 'summary_messages'}}}) }}
-- R13: on every outgoing row CREATED = SENT + rejected-before-Meta, FAILED <= CREATED,
-- READ <= DELIVERED <= SENT and DELIVERED + FAILED <= CREATED; incoming rows carry
-- only RECEIVED (R12). Rejected-before-Meta is counted from the fact independently.
with summary as (
    select * from {{ ref('summary_messages') }}
),

messages as (
    select * from {{ ref('fct_messages') }}
),

rejected as (
    select
        messages.report_date,
        messages.waba_id,
        messages.business_number,
        messages.country_name,
        messages.message_type,
        sum(case when not messages.is_accepted then 1 else 0 end) as rejected_messages
    from messages
    where not messages.is_incoming
    group by
        messages.report_date,
        messages.waba_id,
        messages.business_number,
        messages.country_name,
        messages.message_type
)

select summary.*
from summary
left join rejected
    on
        summary.report_date = rejected.report_date
        and summary.waba_id = rejected.waba_id
        and summary.wa_phone_number = rejected.business_number
        and summary.country = rejected.country_name
        and summary.message_type = rejected.message_type
where
    case
        when summary.message_type = 'Incoming session message'
            then not (
                summary.received is not null and summary.created is null
                and summary.failed is null and summary.sent is null
                and summary.delivered is null and summary.read is null
            )
        else not (
            summary.received is null
            and summary.created = summary.sent + rejected.rejected_messages
            and summary.failed <= summary.created
            and summary.read <= summary.delivered
            and summary.delivered <= summary.sent
            and summary.delivered + summary.failed <= summary.created
        )
    end
