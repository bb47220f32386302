{{ config(
    unique_key='conversation_id',
    pre_hook="{{ delete_changed_keys('conversation_id', 'changed_conversations') }}",
) }}
-- depends_on: {{ ref('changed_conversations') }}
-- depends_on: {{ ref('changed_waba_months') }}
-- One row per conversation with its free-tier place (R20, R21) and its amount (R22).
-- Rules, markets and rates are seeds: a new pricing era is a seed row, not new SQL.
-- Months, rule dates, market dates and rate dates are read on the WABA's clock, and
-- the rate in the WABA's currency (R36).
with wabas as (
    select * from {{ ref('dim_wabas') }}
),

conversations as (
    select aggregated.*
    from {{ ref('int_conversations_aggregated') }} as aggregated
    {% if is_incremental() %}
        left join wabas as conversation_wabas
            on aggregated.waba_id = conversation_wabas.waba_id
        -- The changed conversations, and every conversation of a WABA-month whose free
        -- places are ranked again (R21): a month is ranked whole, and the run writes the
        -- changed conversations (deleted by the pre-hook, so not in kept_places) and
        -- those whose place moved.
        where
            conversation_id in (select conversation_id from {{ ref('changed_conversations') }})
            or exists (
                select 1
                from {{ ref('changed_waba_months') }} as changed_waba_months
                where
                    changed_waba_months.waba_id = aggregated.waba_id
                    and changed_waba_months.opened_month
                    = {{ month_of(to_local_time(
                        'aggregated.opened_at', "coalesce(conversation_wabas.time_zone, 'UTC')"
                    )) }}
            )
    {% endif %}
),

user_countries as (
    select * from {{ ref('int_user_numbers_matched_to_countries') }}
),

pricing_markets as (
    select * from {{ ref('pricing_markets') }}
),

free_tier_rules as (
    select * from {{ ref('free_tier_rules') }}
),

conversation_types as (
    select * from {{ ref('conversation_types') }}
),

rate_card as (
    select * from {{ ref('rate_card') }}
),

localized as (
    select
        conversations.*,
        coalesce(wabas.time_zone, 'UTC') as time_zone,
        coalesce(wabas.currency, 'USD') as currency,
        {{ to_local_time('conversations.opened_at', "coalesce(wabas.time_zone, 'UTC')") }}
            as opened_local_at
    from conversations
    left join wabas
        on conversations.waba_id = wabas.waba_id
),

located as (
    select
        conversations.*,
        -- R17: the report's DATE is the UTC date; R21, R36: the month on the WABA's clock.
        cast(conversations.opened_at as date) as opened_date,
        cast(conversations.opened_local_at as date) as opened_local_date,
        {{ month_of('conversations.opened_local_at') }} as opened_month,
        coalesce(user_countries.country_code, 'ZZ') as country_code,
        coalesce(user_countries.country_name, 'Unknown') as country_name,
        -- R22: countries not in the markets seed, and Unknown, price as Other.
        coalesce(pricing_markets.market, 'Other') as pricing_market,
        coalesce(conversation_types.label, conversations.origin_type) as session_type,
        coalesce(conversation_types.is_free_entry_point, false) as is_free_entry_point
    from localized as conversations
    left join user_countries
        on conversations.user_number = user_countries.user_number
    left join pricing_markets
        -- R22/R37: the market row in force on the day the conversation opened.
        on
            user_countries.country_code = pricing_markets.country_code
            and (
                pricing_markets.effective_from is null
                or cast(conversations.opened_local_at as date) >= pricing_markets.effective_from
            )
            and (
                pricing_markets.effective_to is null
                or cast(conversations.opened_local_at as date) <= pricing_markets.effective_to
            )
    left join conversation_types
        on conversations.origin_type = conversation_types.origin_type
),

with_rule as (
    -- R20/R21: the rule in force on the local date of opened_at; the origin type is
    -- eligible when it is one of the rule's `|`-separated types.
    select
        located.*,
        free_tier_rules.monthly_limit,
        (
            free_tier_rules.monthly_limit is not null
            and {{ dbt.concat(["'|'", 'free_tier_rules.eligible_origin_types', "'|'"]) }}
            like {{ dbt.concat(["'%|'", 'located.origin_type', "'|%'"]) }}
        ) as is_free_tier_eligible
    from located
    left join free_tier_rules
        on
            located.opened_local_date >= free_tier_rules.effective_from
            and (
                free_tier_rules.effective_to is null
                or located.opened_local_date <= free_tier_rules.effective_to
            )
),

places as (
    -- R21: per WABA and local month, eligible conversations in (opened_at, id) order.
    select
        waba_id,
        opened_month,
        opened_at,
        conversation_id
    from with_rule
    where is_opened and is_free_tier_eligible
),

numbered_places as (
    select
        conversation_id,
        row_number() over (
            partition by waba_id, opened_month
            order by opened_at, conversation_id
        ) as free_tier_place
    from places
),

ranked as (
    select
        with_rule.*,
        -- Places past the limit are left empty: each would shift with every earlier
        -- conversation that appears, and none of them changes what is free or charged.
        -- row_number() is a bigint on DuckDB, an int on Spark: one type for both.
        cast(
            case
                when numbered_places.free_tier_place <= with_rule.monthly_limit
                    then numbered_places.free_tier_place
            end as {{ dbt.type_bigint() }}
        ) as free_tier_rank
    from with_rule
    left join numbered_places
        on with_rule.conversation_id = numbered_places.conversation_id
),

rates as (
    -- R22: the rate-card row in the WABA's currency with the latest effective_from on or
    -- before the local date.
    select
        ranked.conversation_id,
        rate_card.rate,
        row_number() over (
            partition by ranked.conversation_id
            order by rate_card.effective_from desc
        ) as rate_rank
    from ranked
    inner join rate_card
        on
            ranked.pricing_market = rate_card.market
            and ranked.origin_type = rate_card.origin_type
            and ranked.currency = rate_card.currency
            and ranked.opened_local_date >= rate_card.effective_from
    where ranked.is_opened
),

final as (
    select
        ranked.conversation_id,
        ranked.waba_id,
        ranked.business_number,
        ranked.user_number,
        ranked.country_code,
        ranked.country_name,
        ranked.pricing_market,
        ranked.origin_type,
        ranked.session_type,
        ranked.is_opened,
        ranked.opened_at,
        ranked.opened_date,
        ranked.time_zone,
        ranked.opened_local_date,
        ranked.opened_month,
        ranked.expires_at,
        ranked.opening_message_id,
        ranked.outgoing_messages,
        ranked.is_free_entry_point,
        ranked.is_free_tier_eligible,
        ranked.monthly_limit as free_tier_monthly_limit,
        ranked.free_tier_rank,
        ranked.free_tier_rank is not null as is_free_tier,
        ranked.currency,
        cast(rates.rate as {{ dbt.type_numeric() }}) as rate_usd,
        (
            ranked.is_opened
            and not ranked.is_free_entry_point
            and ranked.free_tier_rank is null
        ) as is_chargeable,
        -- R22: 0 inside the free tier and for free entry points, else the rate. NULL
        -- for a chargeable conversation without a rate: a data test fails on it.
        cast(
            case
                when not ranked.is_opened then null
                when ranked.free_tier_rank is not null then 0
                when ranked.is_free_entry_point then 0
                else rates.rate
            end as {{ dbt.type_numeric() }}
        ) as amount_usd
    from ranked
    left join rates
        on
            ranked.conversation_id = rates.conversation_id
            and rates.rate_rank = 1
)

select * from final
{% if is_incremental() %}
    -- A conversation of the month whose place did not move keeps its stored row (every
    -- other input of it is unchanged); the changed ones were deleted by the pre-hook.
    where not exists (
        select 1
        from {{ this }} as kept
        where
            kept.conversation_id = final.conversation_id
            and kept.free_tier_rank is not distinct from final.free_tier_rank
    )
{% endif %}
