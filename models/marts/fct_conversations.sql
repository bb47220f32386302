-- One row per conversation (session): a conversation.id seen on a counted status, with
-- its parties, type, opening, window, free-tier place and amount (R15-R22).
with conversations as (
    select * from {{ ref('int_conversations_priced') }}
),

final as (
    select * from conversations
)

select * from final
