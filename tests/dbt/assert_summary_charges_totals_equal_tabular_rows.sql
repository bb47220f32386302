{{ config(meta={'dagster': {'ref': {'name': 'summary_charges'}}}) }}
-- R40: per DATE, WABA and CURRENCY (any filter is a union of these), the Charges report's
-- DELIVERED, CHARGED and AMOUNT equal the tabular report's delivered per-message rows,
-- those with PRICING_TYPE `regular`, and their AMOUNT.
with summary as (
    select
        report_date,
        waba_id,
        currency,
        sum(delivered) as delivered,
        sum(charged) as charged,
        sum(amount) as amount
    from {{ ref('summary_charges') }}
    group by report_date, waba_id, currency
),

tabular as (
    select
        cast(charged_at as date) as report_date,
        waba_id,
        currency,
        count(*) as delivered,
        sum(case when pricing_type = 'regular' then 1 else 0 end) as charged,
        sum(amount) as amount
    from {{ ref('tabular_report') }}
    where
        pricing_model = 'PMP'
        and (delivered_at is not null or seen_at is not null)
    group by cast(charged_at as date), waba_id, currency
)

select
    coalesce(summary.report_date, tabular.report_date) as report_date,
    coalesce(summary.waba_id, tabular.waba_id) as waba_id
from summary
full outer join tabular
    on
        summary.report_date = tabular.report_date
        and summary.waba_id = tabular.waba_id
        and summary.currency = tabular.currency
where
    summary.waba_id is null
    or tabular.waba_id is null
    or summary.delivered != tabular.delivered
    or summary.charged != tabular.charged
    or summary.amount != tabular.amount
