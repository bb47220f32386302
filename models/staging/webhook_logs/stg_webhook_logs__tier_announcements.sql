{{ config(
    unique_key='dt',
    pre_hook=[
        "{{ log_replaced_rows('webhook_logs', {'waba_id': 'waba_id', 'happened_at': 'tier_update_at'}) }}",
        "{{ delete_changed_keys('dt', 'changed_partitions', where=\"source = 'webhook_logs'\") }}",
    ],
) }}
-- depends_on: {{ ref('changed_partitions') }}
-- One row per volume-tier announcement (an `account_update` change with event
-- VOLUME_BASED_PRICING_TIER_UPDATE) of every webhook POST, Meta's redeliveries included
-- (R38 counts a repeated announcement from its earliest `tier_update_time`). The loader
-- quarantined announcements missing one of the five fields (R26).
with webhook_logs as (
    select * from {{ source('raw', 'webhook_logs') }}
    where
        -- Only the rare lines that can hold one are parsed again.
        raw_line like '%VOLUME_BASED_PRICING_TIER_UPDATE%'
        {% if is_incremental() %}
            -- Reloaded partitions replace their rows; the others keep them.
            and dt in ({{ changed_partitions_of('webhook_logs') }})
        {% endif %}
),

{{ webhook_changes('webhook_logs', {
    'event': 'string',
    'volume_tier_info': {
        'tier_update_time': 'string',
        'pricing_category': 'string',
        'tier': 'string',
        'effective_month': 'string',
        'region': 'string',
    },
}) }},

final as (
    select
        waba_id,
        {{ from_unix_seconds('change.value.volume_tier_info.tier_update_time') }} as tier_update_at,
        change.value.volume_tier_info.pricing_category as announced_category,
        change.value.volume_tier_info.region as announced_region,
        change.value.volume_tier_info.tier as announced_tier,
        change.value.volume_tier_info.effective_month as billing_month,
        received_at,
        dt,
        source_file,
        line_number,
        loaded_at
    from business_changes
    where
        change.field = 'account_update'
        and change.value.event = 'VOLUME_BASED_PRICING_TIER_UPDATE'
)

select * from final
