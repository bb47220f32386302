{{ config(
    unique_key='report_date',
    pre_hook="{{ delete_changed_keys(month_of('report_date'), 'changed_session_months', 'report_month') }}",
) }}
-- depends_on: {{ ref('changed_session_months') }}
-- Summary Report for Sessions: one row per DATE x WABA ID x WA PHONE NUMBER x
-- DISPLAY NAME x COUNTRY x SESSION TYPE x FREE TIER (R23) over opened conversations.
-- A run rebuilds every date of the UTC months a WABA-month whose free places were
-- ranked again reaches (which holds every conversation that changed), and the dates of
-- a number whose display name changed.
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

conversations as (
    select * from {{ ref('fct_conversations') }}
    where
        is_opened  -- R16: a conversation that never opened is neither counted nor charged
        {% if is_incremental() %}
            and (
                {{ month_of('opened_date') }}
                in (select report_month from {{ ref('changed_session_months') }})
                or opened_date in (select report_date from renamed_dates)
            )
        {% endif %}
),

final as (
    select
        conversations.opened_date as report_date,
        conversations.waba_id,
        conversations.business_number as wa_phone_number,
        phone_numbers.display_name,
        conversations.country_name as country,
        conversations.session_type,
        conversations.is_free_tier,
        cast(count(*) as {{ dbt.type_bigint() }}) as number_of_sessions,
        cast(sum(conversations.amount_usd) as {{ dbt.type_numeric() }}) as amount_usd
    from conversations
    left join phone_numbers
        on conversations.business_number = phone_numbers.phone_number
    group by
        conversations.opened_date,
        conversations.waba_id,
        conversations.business_number,
        phone_numbers.display_name,
        conversations.country_name,
        conversations.session_type,
        conversations.is_free_tier
)

select * from final
