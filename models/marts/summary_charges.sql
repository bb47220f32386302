{{ config(
    unique_key='billing_month',
    pre_hook="{{ delete_changed_keys('billing_month', 'changed_billing_months') }}",
) }}
-- depends_on: {{ ref('changed_billing_months') }}
-- Summary Report for Charges: one row per DATE (UTC date of CHARGED_AT) x WABA ID x
-- WA PHONE NUMBER x DISPLAY NAME x COUNTRY x MARKET x BILLING MONTH x PRICING CATEGORY
-- x PRICING TYPE x TIER x CURRENCY over delivered messages priced per message (R40).
-- A run rebuilds every row of the billing months whose charges were ranked again, and
-- of the months of a number whose display name changed.
with phone_numbers as (
    select * from {{ ref('dim_phone_numbers') }}
),

{% if is_incremental() %}
    renamed_months as (
        select distinct summary.billing_month
        from {{ this }} as summary
        left join phone_numbers
            on summary.wa_phone_number = phone_numbers.phone_number
        where summary.display_name is distinct from phone_numbers.display_name
    ),
{% endif %}

charges as (
    select * from {{ ref('fct_message_charges') }}
    {% if is_incremental() %}
        where
            billing_month in (select billing_month from {{ ref('changed_billing_months') }})
            or billing_month in (select billing_month from renamed_months)
    {% endif %}
),

final as (
    select
        charges.report_date,
        charges.waba_id,
        charges.business_number as wa_phone_number,
        phone_numbers.display_name,
        charges.country_name as country,
        charges.market,
        charges.billing_month,
        charges.pricing_category,
        charges.pricing_type,
        charges.tier,
        charges.currency,
        cast(count(*) as {{ dbt.type_bigint() }}) as delivered,
        cast(
            sum(case when charges.pricing_type = 'regular' then 1 else 0 end)
            as {{ dbt.type_bigint() }}
        ) as charged,
        cast(sum(charges.amount) as {{ dbt.type_numeric() }}) as amount
    from charges
    left join phone_numbers
        on charges.business_number = phone_numbers.phone_number
    group by
        charges.report_date,
        charges.waba_id,
        charges.business_number,
        phone_numbers.display_name,
        charges.country_name,
        charges.market,
        charges.billing_month,
        charges.pricing_category,
        charges.pricing_type,
        charges.tier,
        charges.currency
)

select * from final
