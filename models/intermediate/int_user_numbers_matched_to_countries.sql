-- One row per user phone number seen in any log, with its country: the longest
-- calling-code prefix of country_calling_codes that the number starts with (R14),
-- else `Unknown` (country code ZZ).
with user_numbers as (
    select user_number from {{ ref('stg_api_logs__outgoing_messages') }}
    union
    select user_number from {{ ref('stg_webhook_logs__incoming_messages') }}
    union
    select user_number from {{ ref('stg_webhook_logs__status_events') }}
    where user_number is not null
),

calling_codes as (
    select * from {{ ref('country_calling_codes') }}
),

prefix_lengths as (
    select distinct {{ dbt.length('calling_prefix') }} as prefix_length
    from calling_codes
),

candidates as (
    -- An equi-join on every prefix length keeps the match fast on any engine.
    select
        user_numbers.user_number,
        calling_codes.country_code,
        calling_codes.country_name,
        prefix_lengths.prefix_length
    from user_numbers
    cross join prefix_lengths
    inner join calling_codes
        on
            substring(user_numbers.user_number, 1, prefix_lengths.prefix_length)
            = calling_codes.calling_prefix
),

longest_matches as (
    select
        candidates.*,
        row_number() over (
            partition by user_number order by prefix_length desc
        ) as match_rank
    from candidates
),

final as (
    select
        user_numbers.user_number,
        coalesce(longest_matches.country_code, 'ZZ') as country_code,
        coalesce(longest_matches.country_name, 'Unknown') as country_name
    from user_numbers
    left join longest_matches
        on
            user_numbers.user_number = longest_matches.user_number
            and longest_matches.match_rank = 1
)

select * from final
