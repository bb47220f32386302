-- One row per business phone number, in the registry or seen in the logs, with its
-- current display name: the latest `updated_at` over all snapshots (R10/R23).
with snapshot_rows as (
    select * from {{ ref('stg_phone_numbers__snapshot_rows') }}
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
            partition by phone_number
            order by updated_at desc, source_file desc, line_number desc
        ) as recency_rank
    from snapshot_rows
),

registered as (
    select * from latest_registry_rows
    where recency_rank = 1
),

numbers_in_logs as (
    select
        business_number as phone_number,
        min(waba_id) as waba_id
    from (
        select
            business_number,
            waba_id
        from outgoing_messages
        union all
        select
            business_number,
            waba_id
        from incoming_messages
    ) as business_numbers
    group by business_number
),

final as (
    select
        coalesce(registered.phone_number, numbers_in_logs.phone_number) as phone_number,
        coalesce(registered.waba_id, numbers_in_logs.waba_id) as waba_id,
        registered.phone_number_id,
        registered.display_name,
        registered.updated_at as display_name_updated_at,
        registered.phone_number is not null as is_registered
    from registered
    full outer join numbers_in_logs
        on registered.phone_number = numbers_in_logs.phone_number
)

select * from final
