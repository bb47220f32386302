{{ config(
    unique_key='message_id',
    pre_hook="{{ delete_changed_keys('message_id', 'changed_messages', where='not is_incoming') }}",
) }}
-- depends_on: {{ ref('changed_messages') }}
-- One row per outgoing message with its observed status timestamps, the flags of
-- R6-R8, its current status (R9), its failure reason (R25), the conversation its
-- statuses name (R15), its pricing label (R31) and pricing model (R32).
with outgoing_messages as (
    select * from {{ ref('stg_api_logs__outgoing_messages') }}
    {% if is_incremental() %}
        where message_id in (
            select message_id from {{ ref('changed_messages') }}
            where not is_incoming
        )
    {% endif %}
),

status_events as (
    -- R3/R4: orphans and uncounted statuses feed nothing.
    select * from {{ ref('int_status_events_deduplicated') }}
    where
        not is_orphan
        and is_counted_status
        {% if is_incremental() %}
            and message_id in (
                select message_id from {{ ref('changed_messages') }}
                where not is_incoming
            )
        {% endif %}
),

error_codes as (
    select * from {{ ref('whatsapp_error_codes') }}
),

wabas as (
    select * from {{ ref('dim_wabas') }}
),

era_moments as (
    -- R32, R36: when each pricing era starts and ends on each WABA's clock, in UTC (a
    -- few rows: cheaper than reading every message's CREATED_AT on its WABA's clock).
    select
        wabas.waba_id,
        pricing_eras.pricing_model,
        {{ to_utc_time(
            'cast(pricing_eras.effective_from as ' ~ dbt.type_timestamp() ~ ')', 'wabas.time_zone'
        ) }} as era_from,
        {{ to_utc_time(
            dbt.dateadd('day', 1, 'cast(pricing_eras.effective_to as ' ~ dbt.type_timestamp() ~ ')'),
            'wabas.time_zone',
        ) }} as era_until
    from wabas
    cross join {{ ref('pricing_eras') }} as pricing_eras
),

labels as (
    -- R31: the pricing object of the earliest delivered-or-read status carrying one,
    -- else of the earliest sent status carrying one; in the same second, delivered
    -- before read.
    select
        message_id,
        upper(pricing_model) as label_pricing_model,
        pricing_type as label_type_sent,
        replace(lower(pricing_category), '-', '_') as label_category,
        is_pricing_billable as is_label_billable,
        row_number() over (
            partition by message_id
            order by
                case when status = 'sent' then 1 else 0 end,
                event_at,
                case when status = 'delivered' then 0 else 1 end,
                received_at, source_file, line_number
        ) as label_rank
    from status_events
    where
        status in ('sent', 'delivered', 'read')
        and (
            pricing_model is not null
            or pricing_type is not null
            or pricing_category is not null
            or is_pricing_billable is not null
        )
),

links as (
    -- R15: the conversation on the message's earliest status that carries one, and the
    -- origin type that status names.
    select
        message_id,
        conversation_id,
        conversation_origin_type,
        row_number() over (
            partition by message_id
            order by event_at, received_at, source_file, line_number, conversation_id
        ) as link_rank
    from status_events
    where conversation_id is not null
),

status_times as (
    -- R5: the earliest observed timestamp of each status; nothing is invented.
    select
        message_id,
        min(case when status = 'sent' then event_at end) as sent_at,
        min(case when status = 'delivered' then event_at end) as delivered_at,
        min(case when status = 'read' then event_at end) as seen_at,
        min(case when status = 'failed' then event_at end) as meta_failed_at
    from status_events
    group by message_id
),

meta_failures as (
    -- One `failed` row per message after deduplication: the earliest failed event.
    select
        status_events.message_id,
        coalesce(error_codes.reason, status_events.error_details, status_events.error_title)
            as meta_failure_reason
    from status_events
    left join error_codes
        on status_events.error_code = error_codes.code
    where status_events.status = 'failed'
),

flagged as (
    select
        outgoing_messages.*,
        status_times.sent_at,
        status_times.delivered_at,
        status_times.seen_at,
        status_times.meta_failed_at,
        meta_failures.meta_failure_reason,
        links.conversation_id,
        links.conversation_origin_type,
        labels.message_id is not null as has_pricing_label,
        labels.label_pricing_model,
        labels.label_category,
        labels.label_type_sent,
        -- R31: a type other than the three known ones (or none) reads by `billable`.
        case
            when labels.message_id is null then null
            when labels.label_type_sent in ('regular', 'free_customer_service', 'free_entry_point')
                then labels.label_type_sent
            when labels.is_label_billable then 'regular'
            else 'free_customer_service'
        end as label_type,
        -- R6: accepted by Meta when Meta gave the message a wamid.
        outgoing_messages.wamid is not null as is_accepted,
        -- R7: a read implies a delivery Meta may not have reported.
        (status_times.delivered_at is not null or status_times.seen_at is not null)
            as is_delivered,
        status_times.seen_at is not null as is_read,
        (status_times.seen_at is not null and status_times.delivered_at is null)
            as has_implied_delivery,
        status_times.meta_failed_at is not null as has_failed_status
    from outgoing_messages
    left join status_times
        on outgoing_messages.message_id = status_times.message_id
    left join meta_failures
        on outgoing_messages.message_id = meta_failures.message_id
    left join links
        on
            outgoing_messages.message_id = links.message_id
            and links.link_rank = 1
    left join labels
        on
            outgoing_messages.message_id = labels.message_id
            and labels.label_rank = 1
),

final as (
    select
        flagged.*,
        -- R8: rejected before Meta, or failed at Meta without any delivery observed.
        (not is_accepted or (has_failed_status and not is_delivered)) as is_failed,
        -- R5: FAILED_AT only when the message counts as failed.
        case
            when not is_accepted then created_at
            when has_failed_status and not is_delivered then meta_failed_at
        end as failed_at,
        -- R9: read, delivered, failed, sent, rejected, in this order of precedence.
        case
            when is_read then 'read'
            when is_delivered then 'delivered'
            when has_failed_status then 'failed'
            when is_accepted then 'sent'
            else 'rejected'
        end as status,
        -- R25: REASON_FOR_FAILURE only on failed messages.
        case
            when not is_accepted then rejection_message
            when has_failed_status and not is_delivered then meta_failure_reason
        end as reason_for_failure,
        -- R32: the label's model, else the era of the local date of CREATED_AT; none
        -- for a message rejected before Meta.
        case
            when not is_accepted then null
            when label_pricing_model in ('CBP', 'PMP') then label_pricing_model
            -- R36: the era of CREATED_AT on the WABA's clock.
            else era_moments.pricing_model
        end as pricing_model,
        -- R31/R40: counted as a data-quality result.
        (
            label_type_sent is not null
            and label_type_sent not in ('regular', 'free_customer_service', 'free_entry_point')
        ) as has_unknown_label_type
    from flagged
    left join era_moments
        on
            flagged.waba_id = era_moments.waba_id
            and flagged.created_at >= era_moments.era_from
            and (era_moments.era_until is null or flagged.created_at < era_moments.era_until)
)

select * from final
