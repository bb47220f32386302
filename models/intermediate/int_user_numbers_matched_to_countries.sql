{{ config(materialized='table') }}
-- One row per user phone number (or business-scoped user id) seen in any log, with its
-- country: the longest calling-code prefix of country_calling_codes that the number
-- starts with (R14), else `Unknown` (country code ZZ). A user known only by a
-- business-scoped id takes the country of its contact profile's ISO code, named as the
-- calling-code seed names it, else `Unknown` (R14/R25).
with incoming_messages as (
    select * from {{ ref('stg_webhook_logs__incoming_messages') }}
),

business_scoped_users as (
    select
        user_number,
        max(profile_country_code) as profile_country_code
    from incoming_messages
    where is_business_scoped_user
    group by user_number
),

user_numbers as (
    select user_number from {{ ref('stg_api_logs__outgoing_messages') }}
    union
    select user_number from incoming_messages
    where not is_business_scoped_user
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

country_names as (
    select distinct
        country_code,
        country_name
    from calling_codes
),

matched_numbers as (
    select
        user_numbers.user_number,
        longest_matches.country_code,
        longest_matches.country_name
    from user_numbers
    left join longest_matches
        on
            user_numbers.user_number = longest_matches.user_number
            and longest_matches.match_rank = 1
    left join business_scoped_users
        on user_numbers.user_number = business_scoped_users.user_number
    -- An id seen both as a business-scoped user and elsewhere is named by its profile.
    where business_scoped_users.user_number is null
),

profiled_users as (
    select
        business_scoped_users.user_number,
        country_names.country_code,
        country_names.country_name
    from business_scoped_users
    left join country_names
        on business_scoped_users.profile_country_code = country_names.country_code
),

final as (
    -- R14: a user whose number or profile names no country is `Unknown` (code ZZ).
    select
        user_number,
        coalesce(country_code, 'ZZ') as country_code,
        coalesce(country_name, 'Unknown') as country_name
    from (
        select * from matched_numbers
        union all
        select * from profiled_users
    ) as located_users
)

select * from final
