-- One row per UTC month whose Summary Report for Sessions rows are rebuilt: every UTC
-- month a WABA-month ranked again (changed_waba_months) reaches. A month on the WABA's
-- clock spans one or two UTC months (Kolkata's November starts on 31 October, 18:30 UTC),
-- and the report's DATE is the UTC date (R17, R36).
with changed_waba_months as (
    select * from {{ ref('changed_waba_months') }}
),

wabas as (
    select * from {{ ref('dim_wabas') }}
),

local_months as (
    select
        changed_waba_months.opened_month,
        coalesce(wabas.time_zone, 'UTC') as time_zone
    from changed_waba_months
    left join wabas
        on changed_waba_months.waba_id = wabas.waba_id
),

final as (
    -- The UTC months of the local month's first and last moment.
    select distinct
        {{ month_of(to_utc_time(
            'cast(opened_month as ' ~ dbt.type_timestamp() ~ ')', 'time_zone'
        )) }} as report_month
    from local_months
    union
    select distinct
        {{ month_of(to_utc_time(
            dbt.dateadd('second', -1, dbt.dateadd('month', 1, 'cast(opened_month as ' ~ dbt.type_timestamp() ~ ')')),
            'time_zone',
        )) }} as report_month
    from local_months
)

select * from final
