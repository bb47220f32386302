{{ config(touched_key_config('message_id', 'touched_messages()')) }}
-- One row per outgoing message that a status names a conversation for (R15): the
-- conversation on its earliest status that carries one. Orphan and uncounted statuses
-- link nothing (R3/R4).
with status_events as (
    select * from {{ ref('int_status_events_deduplicated') }}
    where
        not is_orphan
        and is_counted_status
        and conversation_id is not null
        {% if is_incremental() %}
            and message_id in ({{ touched_keys() }})
        {% endif %}
),

ranked as (
    select
        message_id,
        conversation_id,
        row_number() over (
            partition by message_id
            order by event_at, received_at, source_file, line_number, conversation_id
        ) as link_rank
    from status_events
),

final as (
    select
        message_id,
        conversation_id
    from ranked
    where link_rank = 1
)

select * from final
