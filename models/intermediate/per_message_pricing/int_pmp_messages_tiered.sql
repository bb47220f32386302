{{ config(
    unique_key='billing_month',
    pre_hook="{{ delete_changed_keys('billing_month', 'changed_billing_months') }}",
) }}
-- depends_on: {{ ref('changed_billing_months') }}
-- One row per delivered per-message message, with the volume tier a charged one takes
-- (R38). Where its (market, category, currency) has tiers on its local date (the set
-- with the latest `effective_from`), the charged messages of its business portfolio
-- (every WABA, any currency), market, category and billing month are numbered in
-- (CHARGED_AT, WHATSAPP_ID) order from 1, and message n takes the tier holding n; a
-- matched announcement made at or before its CHARGED_AT raises it to the highest tier
-- announced, when that is higher.
with messages as (
    select * from {{ ref('int_pmp_messages_with_allowance') }}
    {% if is_incremental() %}
        where billing_month in (select billing_month from {{ ref('changed_billing_months') }})
    {% endif %}
),

volume_tiers as (
    select
        *,
        {{ dbt.concat([
            'cast(tier_from as ' ~ dbt.type_string() ~ ')',
            "':'",
            "coalesce(cast(tier_to as " ~ dbt.type_string() ~ "), 'MAX')",
        ]) }} as tier
    from {{ ref('volume_tiers') }}
),

announcements as (
    select * from {{ ref('int_tier_announcements_matched') }}
    where is_matched
),

charged as (
    select * from messages
    where is_charged
),

tier_sets as (
    -- The set of tiers in force on the message's local date, in its own currency.
    select
        charged.message_id,
        max(volume_tiers.effective_from) as tier_set_from
    from charged
    inner join volume_tiers
        on
            charged.market = volume_tiers.market
            and charged.label_category = volume_tiers.category
            and charged.currency = volume_tiers.currency
            and charged.charged_local_date >= volume_tiers.effective_from
    group by charged.message_id
),

places as (
    select
        message_id,
        row_number() over (
            partition by business_portfolio_id, market, label_category, billing_month
            order by charged_at, message_id
        ) as tier_place
    from charged
),

message_tiers as (
    -- Every tier of the message's set, with its place.
    select
        charged.message_id,
        charged.charged_at,
        charged.business_portfolio_id,
        charged.market,
        charged.label_category,
        charged.billing_month,
        places.tier_place,
        volume_tiers.tier_from,
        volume_tiers.tier_to,
        volume_tiers.tier,
        volume_tiers.rate
    from charged
    inner join tier_sets
        on charged.message_id = tier_sets.message_id
    inner join places
        on charged.message_id = places.message_id
    inner join volume_tiers
        on
            charged.market = volume_tiers.market
            and charged.label_category = volume_tiers.category
            and charged.currency = volume_tiers.currency
            and tier_sets.tier_set_from = volume_tiers.effective_from
),

counted_tiers as (
    select * from message_tiers
    where
        tier_place >= tier_from
        and (tier_to is null or tier_place <= tier_to)
),

announced_tier_starts as (
    select
        counted_tiers.message_id,
        max(announcements.tier_from) as announced_tier_from
    from counted_tiers
    inner join announcements
        on
            counted_tiers.business_portfolio_id = announcements.business_portfolio_id
            and counted_tiers.market = announcements.market
            and counted_tiers.label_category = announcements.category
            and counted_tiers.billing_month = announcements.billing_month
            and counted_tiers.charged_at >= announcements.first_announced_at
    group by counted_tiers.message_id
),

raised_tiers as (
    -- The announced tier in the message's own set, when it is above the counted one.
    select message_tiers.*
    from message_tiers
    inner join announced_tier_starts
        on
            message_tiers.message_id = announced_tier_starts.message_id
            and message_tiers.tier_from = announced_tier_starts.announced_tier_from
    inner join counted_tiers
        on message_tiers.message_id = counted_tiers.message_id
    where message_tiers.tier_from > counted_tiers.tier_from
),

final as (
    select
        messages.*,
        -- row_number() is a bigint on DuckDB, an int on Spark: one type for both.
        cast(counted_tiers.tier_place as {{ dbt.type_bigint() }}) as tier_place,
        coalesce(raised_tiers.tier, counted_tiers.tier) as tier,
        case
            when raised_tiers.message_id is not null then 'announced'
            when counted_tiers.message_id is not null then 'counted'
        end as tier_source,
        coalesce(raised_tiers.rate, counted_tiers.rate) as tier_rate
    from messages
    left join counted_tiers
        on messages.message_id = counted_tiers.message_id
    left join raised_tiers
        on messages.message_id = raised_tiers.message_id
)

select * from final
