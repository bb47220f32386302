-- Tabular Report: one row per message (R25), columns as in outputs.md.
with messages as (
    select * from {{ ref('fct_messages') }}
),

final as (
    select
        waba_id,
        message_id as whatsapp_id,
        -- R25: FROM/TO are business then user for outgoing, user then business for incoming.
        case when is_incoming then user_number else business_number end as from_number,
        case when is_incoming then business_number else user_number end as to_number,
        is_incoming,
        source,
        message_format as format,
        reason_for_failure,
        country_name as country,
        template_name,
        message_text as message,
        created_at,
        failed_at,
        sent_at,
        delivered_at,
        seen_at,
        parent_service_type,
        conversation_type,
        conversation_id,
        conversation_msg_type,
        campaign_id,
        ref,
        ref1,
        ref2,
        status
    from messages
)

select * from final
