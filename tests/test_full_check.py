"""`wa-reports check` and the weekly Dagster job: every check over every row.

A daily run's raw-load checks judge the partitions it loads. A raw row corrupted in
another partition passes that run's checks; the full check must still fail on it,
naming the check. The dbt tests read every row in every run: a fact row written twice
by hand fails the daily run already, and the full check too."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.dbt.project import dbt_project
from tests.conftest import wa_here


@pytest.fixture(scope="module")
def corrupted(e2e_run, tmp_path_factory) -> dict:
    """A copy of the session's run of the hand-made landing (every day loaded), checked
    whole. Then two faults written by hand into the 2022-11-25 partition: a raw API line
    loses its `request_id`, and a message is written twice into `fct_messages`. Then
    the daily run of 2023-06-15, which does not load that day, and the check again."""
    root = tmp_path_factory.mktemp("full-check")
    landing, warehouse = root / "landing", root / "warehouse.duckdb"
    shutil.copytree(e2e_run["landing"], landing)
    shutil.copyfile(e2e_run["warehouse"], warehouse)
    args = ("--landing-dir", str(landing), "--warehouse", str(warehouse))
    clean_check = wa_here("check", *args)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(
            "update raw.api_logs set raw_line = replace(raw_line, '\"request_id\"', '\"id\"')"
            " where dt = '2022-11-25' and line_number = 1"
        )
        conn.execute(
            "insert into marts.fct_messages select * from marts.fct_messages "
            "where message_id = 'a1:0'"
        )
    return {
        "args": args,
        "warehouse": warehouse,
        "landing": landing,
        "clean_check": clean_check,
        "daily": wa_here("run", *args, "--from", "2023-06-15", "--to", "2023-06-15"),
        "check": wa_here("check", *args),
    }


def test_clean_data_passes_the_full_check_of_every_data_test(corrupted):
    clean = corrupted["clean_check"]
    assert clean.returncode == 0, clean.stdout + clean.stderr
    # Every data test of the project ran; its unit tests (CI's) and hooks are not counted.
    manifest = json.loads(dbt_project.manifest_path.read_text())
    data_tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    assert manifest["unit_tests"] and data_tests
    summary = clean.stdout.splitlines()[-1]
    assert summary.startswith(f"checked {len(data_tests)} dbt tests and ")
    assert " 0 failed" in summary


def failures(completed) -> list[str]:
    return [line.strip() for line in completed.stdout.splitlines() if "FAIL" in line]


def test_a_raw_row_corrupted_outside_a_run_passes_its_raw_checks_but_fails_the_full_check(
    corrupted,
):
    daily = corrupted["daily"]
    # Its raw checks judged its own partition: the one check it failed is the fact row's.
    failed_checks = [line for line in failures(daily) if line.startswith("FAIL ")]
    assert len(failed_checks) == 1, daily.stdout
    assert "unique_fct_messages_message_id" in failed_checks[0]
    check = corrupted["check"]
    assert check.returncode == 1, check.stdout + check.stderr
    assert any(
        line.startswith("FAIL gx raw/api_logs required_fields_parse") for line in failures(check)
    ), check.stdout
    assert check.stdout.splitlines()[-1].startswith("checked ")


def test_a_fact_row_written_twice_fails_the_daily_run_and_the_full_check(corrupted):
    daily = corrupted["daily"]
    assert daily.returncode == 1, daily.stdout
    assert "unique_fct_messages_message_id" in daily.stdout
    check = corrupted["check"]
    assert check.returncode == 1, check.stdout + check.stderr
    assert "FAIL dbt unique_fct_messages_message_id: 1 failing rows" in failures(check)


def test_the_weekly_job_runs_the_same_check_and_fails(corrupted, restored_environment):
    from orchestration.resources import build_resources
    from orchestration.schedules import weekly_check_schedule, weekly_full_check
    from orchestration.settings import Settings

    assert weekly_check_schedule.job_name == weekly_full_check.name
    settings = Settings(
        Path(corrupted["landing"]).resolve(), Path(corrupted["warehouse"]).resolve()
    )
    result = weekly_full_check.execute_in_process(
        resources=build_resources(settings), raise_on_error=False
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert "unique_fct_messages_message_id" in str(failure.step_failure_data.error.message) + str(
        failure.step_failure_data.user_failure_data
    )
