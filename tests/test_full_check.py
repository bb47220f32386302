"""`wa-reports check` and the weekly Dagster job: every check over every row.

A daily run's raw-load checks judge the partitions it loads. A raw row corrupted in
another partition passes that run's checks; the full check must still fail on it,
naming the check. The dbt tests read every row in every run: a fact row written twice
by hand fails the daily run already, and the full check too."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import wa
from tests.e2e_landing import build


@pytest.fixture(scope="module")
def corrupted(tmp_path_factory) -> dict:
    """The hand-made landing run up to 2022-11-28; a raw API line of 2022-11-25 then made
    to lose its `request_id` by hand; then the daily run of 2023-06-15, which does not
    load that day.
    After it, a message of 2022-11-25 written twice into `fct_messages` by hand, and a
    second daily run of the same day."""
    root = tmp_path_factory.mktemp("full-check")
    landing = build(root / "landing")
    warehouse = root / "warehouse.duckdb"
    args = ("--landing-dir", str(landing), "--warehouse", str(warehouse))
    first = wa("run", *args, "--to", "2022-11-28")
    assert first.returncode == 0, first.stdout + first.stderr
    clean_check = wa("check", *args)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(
            "update raw.api_logs set raw_line = replace(raw_line, '\"request_id\"', '\"id\"')"
            " where dt = '2022-11-25' and line_number = 1"
        )
    daily = wa("run", *args, "--from", "2023-06-15", "--to", "2023-06-15")
    ledger_check = wa("check", *args)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(
            "insert into marts.fct_messages select * from marts.fct_messages "
            "where message_id = 'a1:0'"
        )
    second_daily = wa("run", *args, "--from", "2023-06-15", "--to", "2023-06-15")
    return {
        "args": args,
        "warehouse": warehouse,
        "landing": landing,
        "clean_check": clean_check,
        "daily": daily,
        "ledger_check": ledger_check,
        "second_daily": second_daily,
        "check": wa("check", *args),
    }


def test_clean_data_passes_the_full_check(corrupted):
    clean = corrupted["clean_check"]
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert " 0 failed" in clean.stdout.splitlines()[-1]


def failures(completed) -> list[str]:
    return [line.strip() for line in completed.stdout.splitlines() if "FAIL" in line]


def test_a_row_corrupted_outside_a_run_passes_the_daily_run_but_fails_the_full_check(corrupted):
    daily = corrupted["daily"]
    assert daily.returncode == 0, daily.stdout  # its raw checks judged its own partition
    check = corrupted["ledger_check"]
    assert check.returncode == 1, check.stdout + check.stderr
    assert any(
        line.startswith("FAIL gx raw/api_logs required_fields_parse") for line in failures(check)
    ), check.stdout
    assert check.stdout.splitlines()[-1].startswith("checked ")


def test_a_fact_row_written_twice_fails_the_daily_run_and_the_full_check(corrupted):
    daily = corrupted["second_daily"]
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
