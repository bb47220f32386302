{{ config(
    unique_key='report_date',
    pre_hook="{{ delete_changed_keys('report_date', 'changed_report_dates') }}",
) }}
-- depends_on: {{ ref('changed_report_dates') }}
-- Summary Report for Messages: one row per DATE x WABA ID x WA PHONE NUMBER x
-- DISPLAY NAME x COUNTRY x MESSAGE TYPE (R10), with the counts of R12. A run rebuilds
-- the dates its changed messages are on, and the dates of a number whose display name
-- changed (R23).
with phone_numbers as (
    select * from {{ ref('dim_phone_numbers') }}
),

{% if is_incremental() %}
    renamed_dates as (
        select distinct summary.report_date
        from {{ this }} as summary
        left join phone_numbers
            on summary.wa_phone_number = phone_numbers.phone_number
        where summary.display_name is distinct from phone_numbers.display_name
    ),
{% endif %}

messages as (
    select * from {{ ref('fct_messages') }}
    {% if is_incremental() %}
        where
            report_date in (select report_date from {{ ref('changed_report_dates') }})
            or report_date in (select report_date from renamed_dates)
    {% endif %}
),

counted as (
    select
        messages.report_date,
        messages.waba_id,
        messages.business_number as wa_phone_number,
        phone_numbers.display_name,
        messages.country_name as country,
        messages.message_type,
        count(*) as messages_in_group,
        sum(case when messages.is_failed then 1 else 0 end) as failed_messages,
        sum(case when messages.is_accepted then 1 else 0 end) as sent_messages,
        sum(case when messages.is_delivered then 1 else 0 end) as delivered_messages,
        sum(case when messages.is_read then 1 else 0 end) as read_messages
    from messages
    left join phone_numbers
        on messages.business_number = phone_numbers.phone_number
    group by
        messages.report_date,
        messages.waba_id,
        messages.business_number,
        phone_numbers.display_name,
        messages.country_name,
        messages.message_type
),

final as (
    -- R12: outgoing rows leave RECEIVED empty; incoming rows leave the rest empty.
    select
        report_date,
        waba_id,
        wa_phone_number,
        display_name,
        country,
        message_type,
        cast(
            case when message_type <> 'Incoming session message' then messages_in_group end
            as {{ dbt.type_bigint() }}
        ) as created,
        cast(
            case when message_type <> 'Incoming session message' then failed_messages end
            as {{ dbt.type_bigint() }}
        ) as failed,
        cast(
            case when message_type <> 'Incoming session message' then sent_messages end
            as {{ dbt.type_bigint() }}
        ) as sent,
        cast(
            case when message_type <> 'Incoming session message' then delivered_messages end
            as {{ dbt.type_bigint() }}
        ) as delivered,
        cast(
            case when message_type <> 'Incoming session message' then read_messages end
            as {{ dbt.type_bigint() }}
        ) as read,
        cast(
            case when message_type = 'Incoming session message' then messages_in_group end
            as {{ dbt.type_bigint() }}
        ) as received
    from counted
)

select * from final
