-- One row per wamid whose status events may deduplicate differently (R3): one of its
-- status copies, or a request copy naming it (which decides the message its statuses
-- belong to), was loaded since the last successful build or replaced by a reload.
with status_events as (
    select * from {{ ref('stg_webhook_logs__status_events') }}
),

request_recipients as (
    select * from {{ ref('stg_api_logs__request_recipients') }}
),

replaced_rows as (
    select * from {{ ref('replaced_rows') }}
    where staging_model in ('stg_webhook_logs__status_events', 'stg_api_logs__request_recipients')
),

change_window as (
    select * from {{ ref('change_window') }}
),

final as (
    select status_events.wamid
    from status_events
    cross join change_window
    where status_events.loaded_at > change_window.changed_after
    union
    select request_recipients.wamid
    from request_recipients
    cross join change_window
    where request_recipients.loaded_at > change_window.changed_after
    union
    select wamid
    from replaced_rows
)

select * from final
where wamid is not null
