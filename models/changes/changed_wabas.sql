-- One row per WABA whose time zone, currency or portfolio may have changed (R36, R41):
-- every WABA, when the `wabas` registry was loaded since the last successful build
-- (a registry load replaces the whole registry, which is rare). Its messages' pricing
-- model (R32) and its conversations' months are then rebuilt.
with wabas as (
    select * from {{ ref('dim_wabas') }}
),

changed_partitions as (
    select * from {{ ref('changed_partitions') }}
),

final as (
    select wabas.waba_id
    from wabas
    where exists (
        select 1
        from changed_partitions
        where changed_partitions.source = 'wabas'
    )
)

select * from final
