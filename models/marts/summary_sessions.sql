{{ config(summary_by_date_config('int_conversations_priced', 'opened_date')) }}
-- Summary Report for Sessions: one row per DATE x WABA ID x WA PHONE NUMBER x
-- DISPLAY NAME x COUNTRY x SESSION TYPE x FREE TIER (R23) over opened conversations.
-- Incremental by report date on DuckDB (dbt_project/macros/summary_dates.sql).
with conversations as (
    select * from {{ ref('fct_conversations') }}
    where
        is_opened  -- R16: a conversation that never opened is neither counted nor charged
        and {{ in_touched_keys('opened_date', touched_dates()) }}
),

phone_numbers as (
    select * from {{ ref('dim_phone_numbers') }}
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
