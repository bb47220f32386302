-- One row per billing month whose per-message charges are rebuilt whole (R35, R38, R41):
-- allowances and volume tiers rank whole (number, month) and (portfolio, market,
-- category, month) groups, so a month any changed message can be charged in, now or
-- before, is ranked again for every portfolio and number. A message is charged at one of
-- its status times; on a WABA's clock that time falls in the UTC month of itself, the
-- day before or the day after. Also the months of tier announcements loaded, replaced
-- or posted by a WABA whose registry row may have changed. Before the first successful
-- build: every month of a status.
-- depends_on: {{ ref('stg_webhook_logs__status_events') }}
with status_events as (
    select * from {{ ref('stg_webhook_logs__status_events') }}
),

replaced_rows as (
    select * from {{ ref('replaced_rows') }}
),

announcements as (
    select * from {{ ref('stg_webhook_logs__tier_announcements') }}
),

change_window as (
    select * from {{ ref('change_window') }}
),

changed_wamids as (
    select wamid from {{ ref('changed_status_wamids') }}
    union
    select outgoing_messages.wamid
    from {{ ref('stg_api_logs__outgoing_messages') }} as outgoing_messages
    where
        outgoing_messages.message_id in (
            select changed_messages.message_id
            from {{ ref('changed_messages') }} as changed_messages
            where not changed_messages.is_incoming
        )
),

charge_times as (
    {% if no_successful_build_yet() %}
        select event_at as charge_time from status_events
    {% else %}
        select status_events.event_at as charge_time
        from status_events
        where status_events.wamid in (select changed_wamids.wamid from changed_wamids)
        union all
        select happened_at as charge_time
        from replaced_rows
        where staging_model in ('stg_webhook_logs__status_events', 'stg_webhook_logs__tier_announcements')
    {% endif %}
),

charge_days as (
    select distinct cast(charge_time as date) as charge_date
    from charge_times
),

months as (
    select {{ year_month_text(dbt.dateadd('day', -1, 'charge_date')) }} as billing_month
    from charge_days
    union
    select {{ year_month_text('charge_date') }} as billing_month
    from charge_days
    union
    select {{ year_month_text(dbt.dateadd('day', 1, 'charge_date')) }} as billing_month
    from charge_days
    union
    select announcements.billing_month
    from announcements
    cross join change_window
    where
        announcements.loaded_at > change_window.changed_after
        or announcements.waba_id in (
            select changed_wabas.waba_id from {{ ref('changed_wabas') }} as changed_wabas
        )
),

final as (
    select
        billing_month,
        -- A day before the month's first day (UTC): no message of the month, on any
        -- WABA's clock, was charged earlier.
        {{ dbt.dateadd(
            'day', -1, "cast(" ~ dbt.concat(['billing_month', "'-01'"]) ~ " as " ~ dbt.type_timestamp() ~ ")"
        ) }} as month_from
    from (
        select distinct billing_month
        from months
        where billing_month is not null
    ) as distinct_months
)

select * from final
