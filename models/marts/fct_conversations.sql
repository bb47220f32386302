-- A view: the rows are int_conversations_priced's, kept up to date incrementally there; a table
-- here would copy them in full on every run. The serving copy stores it as a table.
{{ config(materialized='view') }}
-- One row per conversation (session): a conversation.id seen on a counted status, with
-- its parties, type, opening, window, free-tier place and amount (R15-R22).
with conversations as (
    select * from {{ ref('int_conversations_priced') }}
),

final as (
    select * from conversations
)

select * from final
