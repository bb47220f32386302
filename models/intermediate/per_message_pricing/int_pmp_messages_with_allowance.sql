{{ config(
    unique_key='billing_month',
    pre_hook="{{ delete_changed_keys('billing_month', 'changed_billing_months') }}",
) }}
-- depends_on: {{ ref('changed_billing_months') }}
-- One row per delivered per-message message, with its place in its business number's
-- free monthly allowance (R35): where the rule in force gives a quota N, the first N
-- messages of the category that the rule charges, per number and billing month, in
-- (CHARGED_AT, WHATSAPP_ID) order, are free.
with delivered as (
    select * from {{ ref('int_pmp_messages_delivered') }}
    {% if is_incremental() %}
        where billing_month in (select billing_month from {{ ref('changed_billing_months') }})
    {% endif %}
),

allowance_places as (
    select
        message_id,
        row_number() over (
            partition by business_number, billing_month, label_category
            order by charged_at, message_id
        ) as allowance_place
    from delivered
    where
        is_charged_by_rule
        and free_monthly_quota is not null
),

final as (
    select
        delivered.*,
        coalesce(allowance_places.allowance_place <= delivered.free_monthly_quota, false)
            as is_free_allowance,
        -- R38: what the count of volume tiers counts, whatever the label said.
        (
            delivered.is_charged_by_rule
            and not coalesce(allowance_places.allowance_place <= delivered.free_monthly_quota, false)
        ) as is_charged
    from delivered
    left join allowance_places
        on delivered.message_id = allowance_places.message_id
)

select * from final
