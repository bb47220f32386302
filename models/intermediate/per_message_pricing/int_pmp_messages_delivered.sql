{{ config(
    unique_key='billing_month',
    pre_hook="{{ delete_changed_keys('billing_month', 'changed_billing_months') }}",
) }}
-- depends_on: {{ ref('changed_billing_months') }}
-- One row per delivered outgoing message priced per message (R32, R33): when it is
-- charged, its WABA's billing settings, its local date and billing month (R36), its
-- market (R37), and what its pricing rule charges (R34). Undelivered messages are never
-- charged and are not here, whatever their label says.
with messages as (
    select * from {{ ref('fct_messages') }}
    where
        not is_incoming
        and pricing_model = 'PMP'
        and is_delivered
        {% if is_incremental() %}
            -- A run rebuilds whole billing months (changed_billing_months): the messages
            -- delivered from a day before the first of them on.
            and (
                delivered_at >= (select min(month_from) from {{ ref('changed_billing_months') }})
                or seen_at >= (select min(month_from) from {{ ref('changed_billing_months') }})
            )
        {% endif %}
),

wabas as (
    select * from {{ ref('dim_wabas') }}
),

pricing_markets as (
    select * from {{ ref('pricing_markets') }}
),

pricing_rules as (
    select * from {{ ref('pricing_rules') }}
),

charged as (
    select
        messages.message_id,
        messages.waba_id,
        messages.business_number,
        messages.country_code,
        messages.country_name,
        messages.created_at,
        messages.label_category,
        messages.label_type,
        messages.has_unknown_label_type,
        -- R33: charged on delivery, the earliest delivered or read timestamp.
        case
            when messages.delivered_at is null then messages.seen_at
            when messages.seen_at is null then messages.delivered_at
            when messages.seen_at < messages.delivered_at then messages.seen_at
            else messages.delivered_at
        end as charged_at,
        wabas.business_portfolio_id,
        wabas.time_zone,
        wabas.currency,
        wabas.is_registered as is_waba_registered
    from messages
    left join wabas
        on messages.waba_id = wabas.waba_id
),

localized as (
    select
        charged.*,
        -- R36: every pricing boundary is read in the WABA's time zone.
        {{ to_local_time('charged.charged_at', 'charged.time_zone') }} as charged_local_at
    from charged
),

dated as (
    select
        localized.*,
        cast(localized.charged_local_at as date) as charged_local_date,
        {{ year_month_text('localized.charged_local_at') }} as billing_month
    from localized
),

with_market as (
    select
        dated.*,
        -- R37: the market of the country on the local date; `Other` when no row covers it.
        coalesce(pricing_markets.market, 'Other') as market
    from dated
    left join pricing_markets
        on
            dated.country_code = pricing_markets.country_code
            and (
                pricing_markets.effective_from is null
                or dated.charged_local_date >= pricing_markets.effective_from
            )
            and (
                pricing_markets.effective_to is null
                or dated.charged_local_date <= pricing_markets.effective_to
            )
),

final as (
    select
        with_market.*,
        -- R34: a delivered message with no label is unpriced.
        with_market.label_type is null as is_unpriced,
        pricing_rules.category is not null as has_pricing_rule,
        pricing_rules.charged as charged_rule,
        pricing_rules.free_monthly_quota,
        coalesce(
            case
                when pricing_rules.charged = 'label' then with_market.label_type = 'regular'
                when pricing_rules.charged = 'unless_entry_point'
                    then with_market.label_type != 'free_entry_point'
            end,
            false
        ) as is_charged_by_rule
    from with_market
    left join pricing_rules
        on
            with_market.label_category = pricing_rules.category
            and with_market.charged_local_date >= pricing_rules.effective_from
            and (
                pricing_rules.effective_to is null
                or with_market.charged_local_date <= pricing_rules.effective_to
            )
)

select * from final
{% if is_incremental() %}
    where billing_month in (select billing_month from {{ ref('changed_billing_months') }})
{% endif %}
