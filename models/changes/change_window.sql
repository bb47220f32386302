-- One row: the loads this build takes in, every ledger load after the newest one the
-- last successful build took in (`changed_after`; 1900-01-01 before the first).
with successful_builds as (
    select max(loaded_through) as loaded_through
    from {{ source('changes', 'successful_builds') }}
),

ledger as (
    select max(loaded_at) as loaded_through
    from {{ source('raw', 'load_ledger') }}
),

final as (
    select
        coalesce(
            successful_builds.loaded_through, cast('1900-01-01' as {{ dbt.type_timestamp() }})
        ) as changed_after,
        ledger.loaded_through
    from successful_builds
    cross join ledger
)

select * from final
