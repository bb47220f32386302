-- One row per data row of a registry snapshot: the business number's name at updated_at.
with phone_numbers as (
    select * from {{ source('raw', 'phone_numbers') }}
),

final as (
    select
        phone_number,
        waba_id,
        phone_number_id,
        display_name,
        updated_at,
        source_file,
        line_number
    from phone_numbers
)

select * from final
