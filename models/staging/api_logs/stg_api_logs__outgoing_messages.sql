{{ config(
    unique_key='request_id',
    pre_hook="{{ delete_changed_keys('request_id', 'changed_requests') }}",
) }}
-- depends_on: {{ ref('changed_requests') }}
-- One row per outgoing message: one element of response.recipients of the earliest
-- logged copy of each request (R1).
with request_recipients as (
    select * from {{ ref('stg_api_logs__request_recipients') }}
    {% if is_incremental() %}
        where request_id in (select request_id from {{ ref('changed_requests') }})
    {% endif %}
),

ranked as (
    select
        request_recipients.*,
        -- R1: a request logged more than once counts once, the earliest copy.
        dense_rank() over (
            partition by request_id
            order by received_at, source_file, line_number
        ) as copy_rank
    from request_recipients
),

final as (
    select
        message_id,
        request_id,
        waba_id,
        business_number,
        user_number,
        message_format,
        template_name,
        body,
        campaign_id,
        ref,
        ref1,
        ref2,
        received_at as created_at,
        http_status,
        wamid,
        rejection_message,
        dt,
        source_file,
        line_number
    from ranked
    where copy_rank = 1
)

select * from final
