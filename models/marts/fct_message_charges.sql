{{ config(
    unique_key='billing_month',
    pre_hook="{{ delete_changed_keys('billing_month', 'changed_billing_months') }}",
) }}
-- depends_on: {{ ref('changed_billing_months') }}
-- One row per delivered message priced per message (R32, R33): the charge beneath the
-- Summary Report for Charges and the tabular report's pricing columns, with its market,
-- billing month, category, pricing type, tier, currency and amount (R34-R40).
with tiered as (
    select * from {{ ref('int_pmp_messages_tiered') }}
    {% if is_incremental() %}
        where billing_month in (select billing_month from {{ ref('changed_billing_months') }})
    {% endif %}
),

rate_card as (
    select * from {{ ref('rate_card_pmp') }}
),

card_rates as (
    -- R39: without tiers, the card's rate with the latest effective_from on or before
    -- the local date, for the market, category and currency.
    select
        tiered.message_id,
        rate_card.rate,
        row_number() over (
            partition by tiered.message_id
            order by rate_card.effective_from desc
        ) as rate_rank
    from tiered
    inner join rate_card
        on
            tiered.market = rate_card.market
            and tiered.label_category = rate_card.category
            and tiered.currency = rate_card.currency
            and tiered.charged_local_date >= rate_card.effective_from
    where
        tiered.is_charged
        and tiered.tier is null
),

final as (
    select
        tiered.message_id,
        tiered.waba_id,
        tiered.business_portfolio_id,
        tiered.business_number,
        tiered.country_code,
        tiered.country_name,
        tiered.created_at,
        tiered.charged_at,
        cast(tiered.charged_at as date) as report_date,
        tiered.time_zone,
        tiered.charged_local_date,
        tiered.billing_month,
        tiered.market,
        tiered.currency,
        tiered.label_category as pricing_category,
        -- R40: what the message is, as the report shows it.
        case
            when tiered.is_unpriced then null
            when tiered.label_type = 'free_entry_point' then 'free_entry_point'
            when tiered.is_free_allowance then 'free_allowance'
            when tiered.is_charged then 'regular'
            else 'free_customer_service'
        end as pricing_type,
        tiered.tier,
        tiered.tier_source,
        tiered.tier_place,
        tiered.is_charged,
        tiered.is_unpriced,
        tiered.has_pricing_rule,
        tiered.has_unknown_label_type,
        tiered.is_waba_registered,
        tiered.free_monthly_quota,
        cast(
            case
                when tiered.is_charged and tiered.tier is not null then tiered.tier_rate
                when tiered.is_charged then card_rates.rate
            end as {{ dbt.type_numeric() }}
        ) as rate,
        -- R39: 0 unless charged; NULL for a charged message without a rate, which fails
        -- an error-level test (never a silent 0).
        cast(
            case
                when not tiered.is_charged then 0
                when tiered.tier is not null then tiered.tier_rate
                else card_rates.rate
            end as {{ dbt.type_numeric() }}
        ) as amount
    from tiered
    left join card_rates
        on
            tiered.message_id = card_rates.message_id
            and card_rates.rate_rank = 1
)

select * from final
