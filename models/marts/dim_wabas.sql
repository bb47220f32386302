-- One row per WhatsApp Business Account, in the registry or seen in the logs, with what
-- per-message pricing reads from it (R36, R37): its time zone, billing currency and
-- business portfolio from its latest registry row (latest `updated_at`). A WABA the
-- registry does not list is UTC, USD and a portfolio of its own.
with snapshot_rows as (
    select * from {{ ref('stg_wabas__snapshot_rows') }}
),

outgoing_messages as (
    select * from {{ ref('stg_api_logs__outgoing_messages') }}
),

incoming_messages as (
    select * from {{ ref('stg_webhook_logs__incoming_messages') }}
),

latest_registry_rows as (
    select
        snapshot_rows.*,
        row_number() over (
            partition by waba_id
            order by updated_at desc, source_file desc, line_number desc
        ) as recency_rank
    from snapshot_rows
),

registered as (
    select * from latest_registry_rows
    where recency_rank = 1
),

wabas_in_logs as (
    select waba_id from outgoing_messages
    union
    select waba_id from incoming_messages
),

final as (
    select
        coalesce(registered.waba_id, wabas_in_logs.waba_id) as waba_id,
        registered.waba_name,
        coalesce(
            registered.business_portfolio_id, registered.waba_id, wabas_in_logs.waba_id
        ) as business_portfolio_id,
        coalesce(registered.time_zone, 'UTC') as time_zone,
        coalesce(registered.currency, 'USD') as currency,
        registered.updated_at as registry_updated_at,
        registered.waba_id is not null as is_registered
    from registered
    full outer join wabas_in_logs
        on registered.waba_id = wabas_in_logs.waba_id
)

select * from final
