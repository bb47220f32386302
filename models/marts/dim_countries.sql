-- One row per country a user number can resolve to (R14), with its Meta pricing
-- market today (R22, R37: unlisted countries and `Unknown` price as `Other`; a priced
-- message or conversation looks the market up on its own date).
with calling_codes as (
    select * from {{ ref('country_calling_codes') }}
),

pricing_markets as (
    select * from {{ ref('pricing_markets') }}
    where effective_to is null  -- the row still in force
),

countries as (
    select distinct
        country_code,
        country_name
    from calling_codes
    union all
    select
        'ZZ' as country_code,
        'Unknown' as country_name
),

final as (
    select
        countries.country_code,
        countries.country_name,
        coalesce(pricing_markets.market, 'Other') as pricing_market
    from countries
    left join pricing_markets
        on countries.country_code = pricing_markets.country_code
)

select * from final
