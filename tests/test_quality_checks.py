"""The data-quality checks: each Great Expectations check passes on clean data and fails
on data broken on purpose, and so does each dbt test of a mart rule (R13, R24); all of
them are asset checks in the Dagster definitions."""

from __future__ import annotations

import os
import shutil

import duckdb
import pytest

from orchestration.quality.checks import MODEL_CHECKS, RAW_CHECKS, REGISTRY_CHECKS, CheckScope

CHECKS = {(c.asset, c.name): c for c in RAW_CHECKS + REGISTRY_CHECKS + MODEL_CHECKS}


def evaluate(warehouse, asset: str, name: str, threshold: float = 0.01, window=None):
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return CHECKS[(asset, name)].evaluate(conn, CheckScope(threshold, window))


@pytest.fixture
def broken(e2e_run, tmp_path):
    """A copy of the clean warehouse and a function that breaks it with SQL."""
    copy = tmp_path / "broken.duckdb"
    shutil.copyfile(e2e_run["warehouse"], copy)

    def run_sql(*statements: str):
        with duckdb.connect(str(copy)) as conn:
            for statement in statements:
                conn.execute(statement)
        return copy

    return run_sql


def test_every_error_check_passes_on_clean_data_and_warnings_count_what_they_saw(e2e_run):
    warehouse = e2e_run["warehouse"]
    for (asset, name), check in CHECKS.items():
        outcome = evaluate(warehouse, asset, name)
        if check.severity == "ERROR":
            assert outcome.passed, (asset, name, outcome)
    orphans = evaluate(
        warehouse, "intermediate/int_status_events_deduplicated", "orphan_and_unknown_statuses"
    )
    assert not orphans.passed
    assert orphans.details == {"orphan_statuses": 1, "unknown_status_values": 0}
    registry = evaluate(warehouse, "marts/dim_phone_numbers", "numbers_missing_from_registry")
    assert (registry.passed, registry.samples) == (False, ["447700900555"])
    for source in ("raw/api_logs", "raw/webhook_logs"):
        assert evaluate(warehouse, source, "quarantine_rate_under_threshold", 0.1).passed


def dbt_test_failures(warehouse, name: str, target) -> int:
    """Run one dbt test on `warehouse` over every row (`dbt test` reads them all); return
    its failing rows (0: it passed)."""
    import json

    from orchestration.dbt.invocation import run_dbt

    env = {k: v for k, v in os.environ.items() if not k.startswith("WA_")}
    env.update(WA_WAREHOUSE=str(warehouse), WA_ENGINE="duckdb")
    completed = run_dbt("test", "--select", name, target=target, capture=True, env=env)
    results = json.loads((target / "run_results.json").read_text())["results"]
    (result,) = [r for r in results if r["unique_id"].startswith(f"test.whatsapp_reports.{name}")]
    assert result["status"] in ("pass", "fail"), completed.stdout[-3000:]
    return result["failures"] or 0


def test_a_duplicated_status_counted_twice_breaks_r13(broken, tmp_path):
    warehouse = broken(
        "update marts.summary_messages set delivered = delivered + 1, read = read + 1 "
        "where country = 'Canada' and message_type = 'Template message'"
    )
    # The Canada template row of Nov 25 (1 created, sent, delivered) now has 2 delivered
    # for 1 sent, and its totals no longer match its one tabular row.
    for name in (
        "assert_summary_messages_identities_hold_on_every_row",
        "assert_summary_messages_totals_equal_tabular_counts",
    ):
        assert dbt_test_failures(warehouse, name, tmp_path / name) == 1, name


def test_a_free_tier_row_with_an_amount_fails(broken, tmp_path):
    warehouse = broken(
        "update marts.summary_sessions set amount_usd = 0.05 "
        "where is_free_tier and session_type = 'User-initiated'"
    )
    name = "assert_free_and_referral_sessions_cost_nothing"
    assert dbt_test_failures(warehouse, name, tmp_path) == 1


def test_free_tier_sessions_that_miss_the_limit_fail(broken, tmp_path):
    warehouse = broken(
        "update marts.summary_sessions set is_free_tier = false where session_type = 'Service'"
    )
    # June 2023 of WABA W1: its one service conversation is eligible and no longer free.
    name = "assert_free_tier_sessions_match_the_limit_per_waba_month"
    assert dbt_test_failures(warehouse, name, tmp_path) == 1


def test_a_ledger_that_does_not_add_up_fails(broken):
    warehouse = broken(
        "update raw.load_ledger set lines_loaded = lines_loaded - 1 "
        "where source_file = 'api_logs/dt=2022-11-25/part-a.jsonl'"
    )
    outcome = evaluate(warehouse, "raw/api_logs", "ledger_reconciles")
    assert (outcome.passed, outcome.samples) == (False, ["api_logs/dt=2022-11-25/part-a.jsonl"])
    assert evaluate(warehouse, "raw/webhook_logs", "ledger_reconciles").passed


def test_a_quarantine_spike_warns_for_its_partition_only(broken):
    warehouse = broken(
        "insert into raw.quarantine select 'api_logs', date '2022-11-26', "
        "'api_logs/dt=2022-11-26/part-a.jsonl', 100 + i, 'invalid JSON', '{', now() "
        "from range(50) as t(i)",
        "update raw.load_ledger set lines_read = lines_read + 50, "
        "lines_quarantined = lines_quarantined + 50 "
        "where source_file = 'api_logs/dt=2022-11-26/part-a.jsonl'",
    )
    # At 10 %, the one bad line of twelve on 2022-11-25 passes and only the spike warns.
    outcome = evaluate(warehouse, "raw/api_logs", "quarantine_rate_under_threshold", 0.1)
    assert (outcome.passed, outcome.samples) == (False, ["2022-11-26"])
    assert outcome.details["max_rate"] == pytest.approx(50 / 52)
    assert evaluate(warehouse, "raw/api_logs", "ledger_reconciles").passed


def test_a_loaded_row_without_a_required_field_fails(broken):
    warehouse = broken(
        'update raw.webhook_logs set raw_line = \'{"received_at": "x", "body": {}}\' '
        "where line_number = 1 and dt = date '2022-11-28'"
    )
    outcome = evaluate(warehouse, "raw/webhook_logs", "required_fields_parse")
    assert (outcome.passed, outcome.samples) == (
        False,
        ["2022-11-28/webhook_logs/dt=2022-11-28/late.jsonl"],
    )
    # A run judges the partitions it loaded: the broken row is in its window or not.
    for window, passed in (
        (("2022-11-26", "2022-11-28"), False),
        (("2022-11-25", "2022-11-26"), True),
    ):
        outcome = evaluate(warehouse, "raw/webhook_logs", "required_fields_parse", window=window)
        assert outcome.passed is passed, window


@pytest.mark.parametrize(
    "patch",
    [
        '{"waba_id": null}',
        '{"from": null}',
        '{"to": "919876543210"}',
        '{"response": {"recipients": {}}}',
        '{"response": {"http_status": "accepted"}}',
    ],
)
def test_an_api_row_without_a_required_field_or_with_a_bad_type_fails(broken, patch):
    # One row of one file loses a field or its type (a JSON merge patch; null removes).
    warehouse = broken(
        f"update raw.api_logs set raw_line = json_merge_patch(raw_line, '{patch}') "
        "where line_number = 1 and source_file = 'api_logs/dt=2022-11-25/part-a.jsonl'"
    )
    outcome = evaluate(warehouse, "raw/api_logs", "required_fields_parse")
    assert (outcome.passed, outcome.samples) == (
        False,
        ["2022-11-25/api_logs/dt=2022-11-25/part-a.jsonl"],
    )


def test_the_run_prints_a_check_summary(e2e_run):
    lines = e2e_run["run"].stdout.splitlines()
    summary = next(i for i, line in enumerate(lines) if line.startswith("checks: "))
    # One malformed line in a dozen is over the default 1 % on both raw sources; the
    # landing has no `wabas` registry, so its two WABAs are counted as missing from it.
    assert lines[summary].endswith("5 warnings, 0 failed")
    warned = lines[summary + 1 : summary + 6]
    assert all(line.startswith("  WARN ") for line in warned)
    assert any("raw/api_logs quarantine_rate_under_threshold" in line for line in warned)
    assert any("orphan_and_unknown_statuses" in line for line in warned)
    assert any("marts/dim_wabas wabas_missing_from_registry: 2 failing" in line for line in warned)


def test_the_checks_are_asset_checks_beside_their_assets():
    from orchestration.definitions import defs

    keys = {
        (k.asset_key.to_user_string(), k.name) for k in defs.resolve_asset_graph().asset_check_keys
    }
    assert set(CHECKS) <= keys
    # dbt tests are surfaced as checks too, on the model they test.
    assert ("marts/fct_conversations", "every_chargeable_conversation_has_a_rate") in keys
    assert ("marts/tabular_report", "unique_tabular_report_whatsapp_id") in keys
