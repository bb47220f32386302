-- One row per business-scoped user id whose messages arrived or were replaced since the
-- last successful build: its profile's country may have changed (R14), and with it the
-- country of every message and conversation it has.
with message_copies as (
    select * from {{ ref('stg_webhook_logs__incoming_message_copies') }}
    where is_business_scoped_user
),

replaced_rows as (
    select * from {{ ref('replaced_rows') }}
    where
        staging_model = 'stg_webhook_logs__incoming_message_copies'
        and is_business_scoped_user
),

change_window as (
    select * from {{ ref('change_window') }}
),

final as (
    select message_copies.user_number
    from message_copies
    cross join change_window
    where message_copies.loaded_at > change_window.changed_after
    union
    select user_number
    from replaced_rows
)

select * from final
where user_number is not null
