{{ config(
    unique_key='dt',
    pre_hook=[
        "{{ log_replaced_rows('webhook_logs', {'wamid': 'wamid', 'waba_id': 'waba_id',"
        " 'business_number': 'business_number', 'user_number': 'user_number',"
        " 'is_business_scoped_user': 'is_business_scoped_user', 'happened_at': 'created_at'}) }}",
        "{{ delete_changed_keys('dt', 'changed_partitions', where=\"source = 'webhook_logs'\") }}",
    ],
) }}
-- depends_on: {{ ref('changed_partitions') }}
-- One row per element of messages[] of every webhook POST, Meta's redeliveries
-- included (they are removed in stg_webhook_logs__incoming_messages, R2).
with webhook_logs as (
    select * from {{ source('raw', 'webhook_logs') }}
    {% if is_incremental() %}
        -- Reloaded partitions replace their rows; the others keep them.
        where dt in ({{ changed_partitions_of('webhook_logs') }})
    {% endif %}
),

{{ webhook_changes('webhook_logs', {'messages': [{
    'id': 'string',
    'from': 'string',
    'from_user_id': 'string',
    'type': 'string',
    'timestamp': 'string',
    'text': {'body': 'string'},
    'image': {'caption': 'string'},
    'video': {'caption': 'string'},
    'document': {'caption': 'string'},
    'button': {'text': 'string'},
    'referral': {'source_type': 'string'},
}]}) }},

messages as (
    select
        {{ raw_line_lineage() }},
        waba_id,
        business_number,
        {{ array_elements('change.value.messages') }} as message
    from business_changes
    -- R26: `history`, `smb_message_echoes` and the other fields load no rows, whatever
    -- their value holds.
    where is_messages_change
),

parsed as (
    select
        message.id as wamid,
        waba_id,
        business_number,
        -- R14/R25: a user who hides their number (`from` empty) is known by their
        -- business-scoped id, and their country by their profile's country code.
        coalesce(
            nullif(message.{{ adapter.quote('from') }}, ''), message.from_user_id
        ) as user_number,
        coalesce(message.{{ adapter.quote('from') }}, '') = '' as is_business_scoped_user,
        lower(message.type) as message_format,
        -- R25: text body, else a media caption, else the button text, else empty.
        coalesce(
            message.text.body,
            message.image.caption,
            message.video.caption,
            message.document.caption,
            message.button.text
        ) as message_text,
        {{ from_unix_seconds('message.timestamp') }} as created_at,
        message.referral.source_type as referral_source_type,
        received_at,
        dt,
        source_file,
        line_number,
        loaded_at
    from messages
),

contact_posts as (
    -- Only a line with a business-scoped user (rare) needs its contacts: it is picked by
    -- its text, so that the messages above are parsed once (a second reference to them
    -- would parse every line again).
    select
        source_file,
        line_number,
        {{ json_struct('raw_line', {'body': {'entry': [{'changes': [{
            'field': 'string',
            'value': {'contacts': [{'user_id': 'string', 'profile': {'country_code': 'string'}}]},
        }]}]}}) }} as post
    from webhook_logs
    where raw_line like '%from_user_id%'
),

contact_entries as (
    select
        source_file,
        line_number,
        {{ array_elements('post.body.entry') }} as entry
    from contact_posts
),

contact_changes as (
    select
        source_file,
        line_number,
        {{ array_elements('entry.changes') }} as change
    from contact_entries
),

contacts as (
    -- The profiles that come with the messages, by business-scoped user id (R14/R25).
    select
        source_file,
        line_number,
        {{ array_elements('change.value.contacts') }} as contact
    from contact_changes
    where coalesce(change.field, 'messages') = 'messages'
),

profile_countries as (
    select
        source_file,
        line_number,
        contact.user_id,
        max(upper(contact.profile.country_code)) as country_code
    from contacts
    where contact.user_id is not null and contact.user_id <> ''
    group by source_file, line_number, contact.user_id
),

final as (
    select
        parsed.wamid,
        parsed.waba_id,
        parsed.business_number,
        parsed.user_number,
        parsed.is_business_scoped_user,
        profile_countries.country_code as profile_country_code,
        parsed.message_format,
        parsed.message_text,
        parsed.created_at,
        parsed.referral_source_type,
        parsed.received_at,
        parsed.dt,
        parsed.source_file,
        parsed.line_number,
        parsed.loaded_at
    from parsed
    left join profile_countries
        on
            parsed.is_business_scoped_user
            and parsed.source_file = profile_countries.source_file
            and parsed.line_number = profile_countries.line_number
            and parsed.user_number = profile_countries.user_id
)

select * from final
