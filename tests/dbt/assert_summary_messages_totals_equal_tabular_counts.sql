{{ config(meta={'dagster': {'ref': {'name': 'summary_messages'}}}) }}
-- R13: over any filter the summary's totals equal the counts of the tabular report's
-- rows. Checked per (date, WABA, number, country, message type), the finest filter the
-- two share; coarser filters are sums of these.
with summary as (
    select
        report_date,
        waba_id,
        wa_phone_number,
        country,
        message_type,
        sum(coalesce(created, 0)) as created,
        sum(coalesce(failed, 0)) as failed,
        sum(coalesce(sent, 0)) as sent,
        sum(coalesce(delivered, 0)) as delivered,
        sum(coalesce(read, 0)) as read_count,
        sum(coalesce(received, 0)) as received
    from {{ ref('summary_messages') }}
    group by report_date, waba_id, wa_phone_number, country, message_type
),

tabular as (
    select
        cast(created_at as date) as report_date,
        waba_id,
        case when is_incoming then to_number else from_number end as wa_phone_number,
        country,
        case
            when is_incoming then 'Incoming session message'
            when format = 'template' then 'Template message'
            else 'Outgoing session message'
        end as message_type,
        sum(case when not is_incoming then 1 else 0 end) as created,
        sum(case when reason_for_failure is not null or failed_at is not null then 1 else 0 end)
            as failed,
        sum(case when status in ('read', 'delivered', 'failed', 'sent') then 1 else 0 end)
            as sent,
        sum(case when status in ('read', 'delivered') then 1 else 0 end) as delivered,
        sum(case when status = 'read' then 1 else 0 end) as read_count,
        sum(case when is_incoming then 1 else 0 end) as received
    from {{ ref('tabular_report') }}
    group by
        cast(created_at as date),
        waba_id,
        case when is_incoming then to_number else from_number end,
        country,
        case
            when is_incoming then 'Incoming session message'
            when format = 'template' then 'Template message'
            else 'Outgoing session message'
        end
)

select
    coalesce(summary.report_date, tabular.report_date) as report_date,
    coalesce(summary.waba_id, tabular.waba_id) as waba_id,
    coalesce(summary.message_type, tabular.message_type) as message_type
from summary
full outer join tabular
    on
        summary.report_date = tabular.report_date
        and summary.waba_id = tabular.waba_id
        and summary.wa_phone_number = tabular.wa_phone_number
        and summary.country = tabular.country
        and summary.message_type = tabular.message_type
where
    summary.report_date is null
    or tabular.report_date is null
    or summary.created != tabular.created
    or summary.failed != tabular.failed
    or summary.sent != tabular.sent
    or summary.delivered != tabular.delivered
    or summary.read_count != tabular.read_count
    or summary.received != tabular.received
