-- One row per API request whose logged copies changed: a copy loaded since the last
-- successful build, or one a reload replaced. Its outgoing messages are rebuilt (R1).
with request_recipients as (
    select * from {{ ref('stg_api_logs__request_recipients') }}
),

replaced_rows as (
    select * from {{ ref('replaced_rows') }}
    where staging_model = 'stg_api_logs__request_recipients'
),

change_window as (
    select * from {{ ref('change_window') }}
),

final as (
    select request_recipients.request_id
    from request_recipients
    cross join change_window
    where request_recipients.loaded_at > change_window.changed_after
    union
    select request_id
    from replaced_rows
)

select * from final
where request_id is not null
