-- One row per landing partition (ledger source, dt) loaded since the last successful
-- build: reloaded, loaded for the first time, or emptied (its folder deleted).
with ledger as (
    select * from {{ source('raw', 'load_ledger') }}
),

change_window as (
    select * from {{ ref('change_window') }}
),

final as (
    select distinct
        ledger.source,
        ledger.dt
    from ledger
    cross join change_window
    where ledger.loaded_at > change_window.changed_after
)

select * from final
