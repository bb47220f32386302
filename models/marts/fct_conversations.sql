-- A view on DuckDB: the rows are int_conversations_priced's, kept up to date
-- incrementally there, and a table would copy them all on every run. The serving copy
-- stores it as a table. Its data tests read the rows int_conversations_priced rewrote
-- (dbt_project/macros/touched_rows.sql).
{{ config(
    materialized=projection_materialization(),
    meta={'touched_key': 'conversation_id', 'touched_by': 'int_conversations_priced'},
) }}
-- One row per conversation (session): a conversation.id seen on a counted status, with
-- its parties, type, opening, window, free-tier place and amount (R15-R22).
with conversations as (
    select * from {{ ref('int_conversations_priced') }}
),

final as (
    select * from conversations
)

select * from final
