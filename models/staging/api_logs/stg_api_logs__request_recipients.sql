{{ config(partition_replacement_config('api_logs', ['request_id', 'message_id', 'wamid'])) }}
-- One row per element of response.recipients of every logged copy of every request,
-- copies included (they are removed in stg_api_logs__outgoing_messages, R1).
with api_logs as (
    select * from {{ source('raw', 'api_logs') }}
    {% if is_incremental() %}
        where {{ in_reloaded_partitions('api_logs') }}
    {% endif %}
),

requests as (
    select
        {{ json_string('raw_line', '$.request_id') }} as request_id,
        received_at,
        {{ json_string('raw_line', '$.waba_id') }} as waba_id,
        {{ json_string('raw_line', '$.from') }} as business_number,
        lower({{ json_string('raw_line', '$.type') }}) as message_format,
        {{ json_string('raw_line', '$.template_name') }} as template_name,
        {{ json_string('raw_line', '$.body') }} as body,
        {{ json_string('raw_line', '$.campaign_id') }} as campaign_id,
        {{ json_string('raw_line', '$.ref') }} as ref,
        {{ json_string('raw_line', '$.ref1') }} as ref1,
        {{ json_string('raw_line', '$.ref2') }} as ref2,
        cast({{ json_string('raw_line', '$.response.http_status') }} as integer) as http_status,
        {{ json_string('raw_line', '$.response.error.message') }} as request_error_message,
        raw_line,
        dt,
        source_file,
        line_number,
        loaded_at
    from api_logs
),

recipients as (
    select
        requests.*,
        {{ json_array_elements('raw_line', '$.response.recipients') }} as recipient
    from requests
),

final as (
    select
        {{ json_string('recipient', '$.message_id') }} as message_id,
        request_id,
        waba_id,
        business_number,
        {{ json_string('recipient', '$.to') }} as user_number,
        message_format,
        template_name,
        body,
        campaign_id,
        ref,
        ref1,
        ref2,
        received_at,
        http_status,
        {{ json_string('recipient', '$.wamid') }} as wamid,
        coalesce(
            {{ json_string('recipient', '$.error.message') }}, request_error_message
        ) as rejection_message,
        dt,
        source_file,
        line_number,
        loaded_at
    from recipients
)

select * from final
