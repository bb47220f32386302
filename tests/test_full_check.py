"""`wa-reports check` and the weekly Dagster job: every check over every row.

A daily run judges what it changed. A row corrupted outside the keys a run touches
passes that run's checks; the full check must still fail on it, naming the test."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import wa
from tests.e2e_landing import build


@pytest.fixture(scope="module")
def corrupted(tmp_path_factory) -> dict:
    """The hand-made landing run up to 2022-11-28; a message of 2022-11-25 then written
    twice into `fct_messages` by hand; then the daily run of 2023-06-15, whose keys do
    not include that message."""
    root = tmp_path_factory.mktemp("full-check")
    landing = build(root / "landing")
    warehouse = root / "warehouse.duckdb"
    args = ("--landing-dir", str(landing), "--warehouse", str(warehouse))
    first = wa("run", *args, "--to", "2022-11-28")
    assert first.returncode == 0, first.stdout + first.stderr
    clean_check = wa("check", *args)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(
            "insert into marts.fct_messages select * from marts.fct_messages "
            "where message_id = 'a1:0'"
        )
    daily = wa("run", *args, "--from", "2023-06-15", "--to", "2023-06-15")
    return {
        "args": args,
        "warehouse": warehouse,
        "landing": landing,
        "clean_check": clean_check,
        "daily": daily,
        "check": wa("check", *args),
    }


def test_clean_data_passes_the_full_check(corrupted):
    clean = corrupted["clean_check"]
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert " 0 failed" in clean.stdout.splitlines()[-1]


def test_a_row_corrupted_outside_a_run_passes_the_daily_run_but_fails_the_full_check(corrupted):
    daily = corrupted["daily"]
    assert daily.returncode == 0, daily.stdout  # the daily run judged only its own keys
    check = corrupted["check"]
    assert check.returncode == 1, check.stdout + check.stderr
    failures = [line.strip() for line in check.stdout.splitlines() if "FAIL" in line]
    assert "FAIL dbt unique_fct_messages_message_id: 1 failing rows" in failures
    assert check.stdout.splitlines()[-1].startswith("checked ")


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
