-- One row per report date whose Summary Report for Messages rows may change: the dates
-- of the changed messages' fact rows, and every date a changed message was on before (a
-- request or incoming message takes its date from its earliest copy, R1/R2, which a
-- reload may have replaced).
with messages as (
    select * from {{ ref('fct_messages') }}
),

changed_messages as (
    select * from {{ ref('changed_messages') }}
),

request_recipients as (
    select * from {{ ref('stg_api_logs__request_recipients') }}
),

incoming_message_copies as (
    select * from {{ ref('stg_webhook_logs__incoming_message_copies') }}
),

changed_requests as (
    select * from {{ ref('changed_requests') }}
),

changed_incoming_messages as (
    select * from {{ ref('changed_incoming_messages') }}
),

replaced_messages as (
    select * from {{ ref('replaced_rows') }}
    where
        staging_model in (
            'stg_api_logs__request_recipients', 'stg_webhook_logs__incoming_message_copies'
        )
),

final as (
    select messages.report_date
    from messages
    where messages.message_id in (select changed_messages.message_id from changed_messages)
    union
    select cast(request_recipients.received_at as date) as report_date
    from request_recipients
    where request_recipients.request_id in (select changed_requests.request_id from changed_requests)
    union
    select cast(incoming_message_copies.created_at as date) as report_date
    from incoming_message_copies
    where
        incoming_message_copies.wamid
        in (select changed_incoming_messages.wamid from changed_incoming_messages)
    union
    select cast(happened_at as date) as report_date
    from replaced_messages
)

select * from final
where report_date is not null
