"""The Dagster code location loads, and its asset graph is what we meant it to be."""

from __future__ import annotations

import pytest

from orchestration.definitions import defs

pytestmark = pytest.mark.fast  # no warehouse built from landing data

# A snapshot of the asset keys: a change to the graph shows up here in review.
EXPECTED_ASSET_KEYS = {
    "changes/change_window",
    "changes/changed_conversation_statuses",
    "changes/changed_billing_months",
    "changes/changed_conversations",
    "changes/changed_incoming_messages",
    "changes/changed_messages",
    "changes/changed_partitions",
    "changes/changed_report_dates",
    "changes/changed_requests",
    "changes/changed_session_months",
    "changes/changed_status_wamids",
    "changes/changed_users",
    "changes/changed_waba_months",
    "changes/changed_wabas",
    "changes/replaced_rows",
    "changes/replaced_rows_log",
    "changes/successful_builds",
    "intermediate/int_conversations_aggregated",
    "intermediate/int_conversations_priced",
    "intermediate/int_incoming_messages_assigned_to_conversations",
    "intermediate/int_outgoing_messages_enriched_with_status",
    "intermediate/int_pmp_messages_delivered",
    "intermediate/int_pmp_messages_tiered",
    "intermediate/int_pmp_messages_with_allowance",
    "intermediate/int_status_events_deduplicated",
    "intermediate/int_tier_announcements_matched",
    "intermediate/int_user_numbers_matched_to_countries",
    "marts/dim_countries",
    "marts/dim_phone_numbers",
    "marts/dim_wabas",
    "marts/fct_conversations",
    "marts/fct_message_charges",
    "marts/fct_messages",
    "marts/summary_charges",
    "marts/summary_messages",
    "marts/summary_sessions",
    "marts/tabular_report",
    "raw/api_logs",
    "raw/load_ledger",
    "raw/phone_numbers",
    "raw/wabas",
    "raw/webhook_logs",
    "reference/conversation_types",
    "reference/country_calling_codes",
    "reference/free_tier_rules",
    "reference/pricing_eras",
    "reference/pricing_markets",
    "reference/pricing_rules",
    "reference/rate_card",
    "reference/rate_card_pmp",
    "reference/volume_tiers",
    "reference/whatsapp_error_codes",
    "serving/marts",
    "staging/stg_api_logs__outgoing_messages",
    "staging/stg_api_logs__request_recipients",
    "staging/stg_phone_numbers__snapshot_rows",
    "staging/stg_wabas__snapshot_rows",
    "staging/stg_webhook_logs__incoming_message_copies",
    "staging/stg_webhook_logs__incoming_messages",
    "staging/stg_webhook_logs__status_events",
    "staging/stg_webhook_logs__tier_announcements",
}


def test_definitions_load_with_the_expected_assets():
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert keys == EXPECTED_ASSET_KEYS


def test_raw_loads_are_daily_partitioned_and_feed_staging():
    graph = defs.resolve_asset_graph()
    from dagster import AssetKey

    api = graph.get(AssetKey(["raw", "api_logs"]))
    assert api.partitions_def is not None
    assert api.partitions_def.get_partition_keys()[0] == "2022-01-01"
    children = {k.to_user_string() for k in graph.get(AssetKey(["raw", "api_logs"])).child_keys}
    assert "staging/stg_api_logs__request_recipients" in children


def test_every_asset_is_grouped_by_its_layer():
    # The UI's asset graph reads as the architecture: raw, reference, staging,
    # intermediate, marts, serving.
    graph = defs.resolve_asset_graph()
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert {key: key.split("/")[0] for key in groups} == groups


def test_report_identities_are_asset_checks_on_their_report():
    # R13 and R40: singular tests reading two models are attached to the report they
    # judge, so the UI shows them as that asset's checks.
    graph = defs.resolve_asset_graph()
    checks = {(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys}
    assert ("marts/summary_charges", "assert_summary_charges_totals_equal_tabular_rows") in checks
    assert (
        "marts/summary_charges",
        "assert_summary_charges_identities_hold_on_every_row",
    ) in checks
    assert (
        "marts/summary_messages",
        "assert_summary_messages_totals_equal_tabular_counts",
    ) in checks
    assert ("marts/fct_message_charges", "every_charged_message_has_a_rate") in checks
