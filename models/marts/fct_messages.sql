{{ config(
    unique_key='message_id',
    pre_hook="{{ delete_changed_keys('message_id', 'changed_messages') }}",
) }}
-- depends_on: {{ ref('changed_messages') }}
-- One row per message: every outgoing message (one recipient of one API request) and
-- every incoming message, with its state, timestamps, country and conversation.
with outgoing_messages as (
    select * from {{ ref('int_outgoing_messages_enriched_with_status') }}
    {% if is_incremental() %}
        where message_id in (
            select message_id from {{ ref('changed_messages') }}
            where not is_incoming
        )
    {% endif %}
),

incoming_messages as (
    select * from {{ ref('stg_webhook_logs__incoming_messages') }}
    {% if is_incremental() %}
        where wamid in (
            select message_id from {{ ref('changed_messages') }}
            where is_incoming
        )
    {% endif %}
),

user_countries as (
    select * from {{ ref('int_user_numbers_matched_to_countries') }}
),

incoming_links as (
    select * from {{ ref('int_incoming_messages_assigned_to_conversations') }}
),

conversations as (
    select * from {{ ref('int_conversations_aggregated') }}
),

incoming_messages_linked as (
    select
        incoming_messages.*,
        incoming_links.conversation_id
    from incoming_messages
    left join incoming_links
        on incoming_messages.wamid = incoming_links.wamid
),

outgoing_rows as (
    select
        message_id,
        false as is_incoming,
        waba_id,
        business_number,
        user_number,
        -- R25: SOURCE is `campaign` when the request came from a campaign.
        case when campaign_id is not null then 'campaign' else 'api' end as source,
        message_format,
        -- R11
        case
            when message_format = 'template' then 'Template message'
            else 'Outgoing session message'
        end as message_type,
        case
            when message_format = 'template' then 'template'
            else 'session_outgoing'
        end as parent_service_type,
        template_name,
        body as message_text,
        created_at,
        failed_at,
        sent_at,
        delivered_at,
        seen_at,
        is_accepted,
        is_delivered,
        has_implied_delivery,
        is_read,
        is_failed,
        status,
        reason_for_failure,
        campaign_id,
        ref,
        ref1,
        ref2,
        wamid,
        conversation_id,
        conversation_origin_type,
        pricing_model,
        label_category,
        label_type,
        has_unknown_label_type
    from outgoing_messages
),

incoming_rows as (
    select
        wamid as message_id,
        true as is_incoming,
        waba_id,
        business_number,
        user_number,
        'webhook' as source,
        message_format,
        'Incoming session message' as message_type,
        'session_incoming' as parent_service_type,
        cast(null as {{ dbt.type_string() }}) as template_name,
        message_text,
        created_at,
        cast(null as {{ dbt.type_timestamp() }}) as failed_at,
        cast(null as {{ dbt.type_timestamp() }}) as sent_at,
        cast(null as {{ dbt.type_timestamp() }}) as delivered_at,
        cast(null as {{ dbt.type_timestamp() }}) as seen_at,
        cast(null as boolean) as is_accepted,
        cast(null as boolean) as is_delivered,
        cast(null as boolean) as has_implied_delivery,
        cast(null as boolean) as is_read,
        cast(null as boolean) as is_failed,
        'received' as status,
        cast(null as {{ dbt.type_string() }}) as reason_for_failure,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(null as {{ dbt.type_string() }}) as ref,
        cast(null as {{ dbt.type_string() }}) as ref1,
        cast(null as {{ dbt.type_string() }}) as ref2,
        wamid,
        conversation_id,
        cast(null as {{ dbt.type_string() }}) as conversation_origin_type,
        cast(null as {{ dbt.type_string() }}) as pricing_model,
        cast(null as {{ dbt.type_string() }}) as label_category,
        cast(null as {{ dbt.type_string() }}) as label_type,
        cast(null as boolean) as has_unknown_label_type
    from incoming_messages_linked
),

all_messages as (
    select * from outgoing_rows
    union all
    select * from incoming_rows
),

message_conversations as (
    select * from conversations
    {% if is_incremental() %}
        -- Only the conversations of the messages rebuilt: DuckDB would otherwise hash
        -- every conversation of history to join about a tenth of them.
        where conversation_id in (select all_messages.conversation_id from all_messages)
    {% endif %}
),

final as (
    select
        all_messages.message_id,
        cast(all_messages.created_at as date) as report_date,
        all_messages.is_incoming,
        all_messages.waba_id,
        all_messages.business_number,
        all_messages.user_number,
        user_countries.country_code,
        user_countries.country_name,
        all_messages.source,
        all_messages.message_format,
        all_messages.message_type,
        all_messages.parent_service_type,
        all_messages.template_name,
        all_messages.message_text,
        all_messages.created_at,
        all_messages.failed_at,
        all_messages.sent_at,
        all_messages.delivered_at,
        all_messages.seen_at,
        all_messages.is_accepted,
        all_messages.is_delivered,
        all_messages.has_implied_delivery,
        all_messages.is_read,
        all_messages.is_failed,
        all_messages.status,
        all_messages.reason_for_failure,
        all_messages.conversation_id,
        -- R32: a message priced per message shows the conversation Meta named, but is in
        -- no conversation of the Sessions report.
        case
            when all_messages.pricing_model = 'PMP' then all_messages.conversation_origin_type
            else conversations.origin_type
        end as conversation_type,
        -- R19: the message whose delivery opened the conversation starts it; every
        -- other message of it, incoming ones included, is in it.
        case
            when all_messages.conversation_id is null then null
            when all_messages.pricing_model = 'PMP' then null
            when all_messages.message_id = conversations.opening_message_id
                then 'Conversation start'
            else 'In Conversation'
        end as conversation_msg_type,
        all_messages.campaign_id,
        all_messages.ref,
        all_messages.ref1,
        all_messages.ref2,
        all_messages.wamid,
        all_messages.pricing_model,
        all_messages.label_category,
        all_messages.label_type,
        all_messages.has_unknown_label_type
    from all_messages
    left join user_countries
        on all_messages.user_number = user_countries.user_number
    left join message_conversations as conversations
        on all_messages.conversation_id = conversations.conversation_id
)

select * from final
