{{ config(
    unique_key='dt',
    pre_hook=[
        "{{ log_replaced_rows('api_logs', {'request_id': 'request_id', 'message_id': 'message_id',"
        " 'wamid': 'wamid', 'waba_id': 'waba_id', 'business_number': 'business_number',"
        " 'user_number': 'user_number', 'happened_at': 'received_at'}) }}",
        "{{ delete_changed_keys('dt', 'changed_partitions', where=\"source = 'api_logs'\") }}",
    ],
) }}
-- depends_on: {{ ref('changed_partitions') }}
-- One row per element of response.recipients of every logged copy of every request,
-- copies included (they are removed in stg_api_logs__outgoing_messages, R1).
with api_logs as (
    select * from {{ source('raw', 'api_logs') }}
    {% if is_incremental() %}
        -- Reloaded partitions replace their rows; the others keep them.
        where dt in ({{ changed_partitions_of('api_logs') }})
    {% endif %}
),

parsed_requests as (
    select
        api_logs.*,
        {{ json_struct('raw_line', {
            'request_id': 'string',
            'waba_id': 'string',
            'from': 'string',
            'type': 'string',
            'template_name': 'string',
            'body': 'string',
            'campaign_id': 'string',
            'ref': 'string',
            'ref1': 'string',
            'ref2': 'string',
            'response': {
                'http_status': 'string',
                'error': {'message': 'string'},
                'recipients': [{
                    'message_id': 'string', 'to': 'string', 'wamid': 'string',
                    'error': {'message': 'string'},
                }],
            },
        }) }} as request
    from api_logs
),

requests as (
    select
        request.request_id,
        received_at,
        request.waba_id,
        request.{{ adapter.quote('from') }} as business_number,
        lower(request.type) as message_format,
        request.template_name,
        request.body,
        request.campaign_id,
        request.ref,
        request.ref1,
        request.ref2,
        cast(request.response.http_status as integer) as http_status,
        request.response.error.message as request_error_message,
        request.response.recipients,
        dt,
        source_file,
        line_number,
        loaded_at
    from parsed_requests
),

recipients as (
    select
        requests.*,
        {{ array_elements('recipients') }} as recipient
    from requests
),

final as (
    select
        recipient.message_id,
        request_id,
        waba_id,
        business_number,
        recipient.{{ adapter.quote('to') }} as user_number,
        message_format,
        template_name,
        body,
        campaign_id,
        ref,
        ref1,
        ref2,
        received_at,
        http_status,
        recipient.wamid,
        coalesce(recipient.error.message, request_error_message) as rejection_message,
        dt,
        source_file,
        line_number,
        loaded_at
    from recipients
)

select * from final
