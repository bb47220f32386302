-- Tabular Report: one row per message (R25), then its pricing (R31-R39; all but the
-- pricing model only on delivered messages priced per message).
with messages as (
    select * from {{ ref('fct_messages') }}
),

charges as (
    select * from {{ ref('fct_message_charges') }}
),

final as (
    select
        messages.waba_id,
        messages.message_id as whatsapp_id,
        -- R25: FROM/TO are business then user for outgoing, user then business for incoming.
        case
            when messages.is_incoming then messages.user_number else messages.business_number
        end as from_number,
        case
            when messages.is_incoming then messages.business_number else messages.user_number
        end as to_number,
        messages.is_incoming,
        messages.source,
        messages.message_format as format,
        messages.reason_for_failure,
        messages.country_name as country,
        messages.template_name,
        messages.message_text as message,
        messages.created_at,
        messages.failed_at,
        messages.sent_at,
        messages.delivered_at,
        messages.seen_at,
        messages.parent_service_type,
        messages.conversation_type,
        messages.conversation_id,
        messages.conversation_msg_type,
        messages.campaign_id,
        messages.ref,
        messages.ref1,
        messages.ref2,
        messages.status,
        messages.pricing_model,
        charges.pricing_category,
        charges.pricing_type,
        charges.tier,
        charges.tier_source,
        charges.charged_at,
        charges.billing_month,
        charges.market,
        charges.currency,
        charges.amount
    from messages
    left join charges
        on messages.message_id = charges.message_id
)

select * from final
