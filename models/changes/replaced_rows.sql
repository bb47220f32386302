-- One row per staging row that a partition reload replaced since the last successful
-- build, with the keys and times the other changes models read (the staging models'
-- pre-hook logs them before the delete: dbt_project/macros/change_log.sql), so it is
-- read after those models ran:
-- depends_on: {{ ref('stg_api_logs__request_recipients') }}
-- depends_on: {{ ref('stg_webhook_logs__incoming_message_copies') }}
-- depends_on: {{ ref('stg_webhook_logs__status_events') }}
-- depends_on: {{ ref('stg_webhook_logs__tier_announcements') }}
with replaced_rows_log as (
    select * from {{ source('changes', 'replaced_rows_log') }}
),

change_window as (
    select * from {{ ref('change_window') }}
),

final as (
    select replaced_rows_log.*
    from replaced_rows_log
    cross join change_window
    where replaced_rows_log.replaced_at > change_window.changed_after
)

select * from final
