-- A small table, rebuilt whole by every run.
{{ config(materialized='table') }}
-- One row per distinct volume-tier announcement (R38): a tier a business portfolio
-- reached in a market, category and billing month, with the earliest time it was
-- announced (a repeated announcement counts from its first), matched to the market,
-- category and tier of a `volume_tiers` row. Region and category match the seeds
-- ignoring case, with `_` and a space alike; an announcement that matches no row is
-- kept with `is_matched` false, ignored by pricing and counted (R40).
with announcements as (
    select * from {{ ref('stg_webhook_logs__tier_announcements') }}
),

wabas as (
    select * from {{ ref('dim_wabas') }}
),

tiers as (
    select distinct
        market,
        category,
        tier_from,
        tier_to,
        {{ dbt.concat([
            'cast(tier_from as ' ~ dbt.type_string() ~ ')',
            "':'",
            "coalesce(cast(tier_to as " ~ dbt.type_string() ~ "), 'MAX')",
        ]) }} as tier,
        lower(replace(market, '_', ' ')) as market_key,
        lower(replace(category, '_', ' ')) as category_key
    from {{ ref('volume_tiers') }}
),

first_announcements as (
    select
        coalesce(wabas.business_portfolio_id, announcements.waba_id) as business_portfolio_id,
        announcements.announced_region,
        announcements.announced_category,
        announcements.announced_tier,
        announcements.billing_month,
        min(announcements.tier_update_at) as first_announced_at,
        min(announcements.waba_id) as waba_id
    from announcements
    left join wabas
        on announcements.waba_id = wabas.waba_id
    group by
        coalesce(wabas.business_portfolio_id, announcements.waba_id),
        announcements.announced_region,
        announcements.announced_category,
        announcements.announced_tier,
        announcements.billing_month
),

final as (
    select
        first_announcements.*,
        tiers.market,
        tiers.category,
        tiers.tier_from,
        tiers.tier_to,
        tiers.market is not null as is_matched
    from first_announcements
    left join tiers
        on
            lower(replace(trim(first_announcements.announced_region), '_', ' ')) = tiers.market_key
            and lower(replace(trim(first_announcements.announced_category), '_', ' '))
            = tiers.category_key
            and first_announcements.announced_tier = tiers.tier
)

select * from final
