-- One row per data row of a WABA registry snapshot: the account's portfolio, time zone
-- and billing currency as of updated_at.
with wabas as (
    select * from {{ source('raw', 'wabas') }}
),

final as (
    select
        waba_id,
        business_portfolio_id,
        name as waba_name,
        timezone as time_zone,
        currency,
        updated_at,
        source_file,
        line_number,
        loaded_at
    from wabas
)

select * from final
