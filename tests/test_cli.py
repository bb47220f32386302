"""`wa-reports` from the outside: exit codes, one-line errors, and a full run."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance, DagsterRunStatus

from tests.conftest import wa


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--landing-dir", "/nonexistent/landing"], "does not exist"),
        (["export", "--warehouse", "/nonexistent/w.duckdb", "--out", "x"], "no serving copy"),
        (["generate", "--days", "0"], "not a whole number"),
        (["run", "--from", "2022-13-01"], "not a date"),
    ],
)
@pytest.mark.fast
def test_bad_usage_exits_2_with_one_line_that_says_what_to_do(args, message):
    completed = wa(*args)
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]


@pytest.mark.fast
def test_run_on_an_empty_landing_dir_says_what_to_do(tmp_path):
    (tmp_path / "landing").mkdir()
    completed = wa(
        "run", "--landing-dir", str(tmp_path / "landing"), "--warehouse", str(tmp_path / "w.duckdb")
    )
    assert completed.returncode == 2
    assert "no api_logs/ or webhook_logs/ dt= folders" in completed.stderr


@pytest.mark.fast
def test_dbt_without_a_command_exits_2_with_one_line():
    completed = wa("dbt")
    assert completed.returncode == 2
    (line,) = completed.stderr.strip().splitlines()
    assert "name a dbt command" in line


def test_dbt_by_hand_works_on_the_warehouse_the_settings_name(tmp_path):
    """`wa-reports dbt` hands dbt the settings a run gives it: a seed lands in the
    warehouse `--warehouse` names, and dbt's exit code is the command's."""
    warehouse = tmp_path / "elsewhere.duckdb"
    seeded = wa("dbt", "--warehouse", str(warehouse), "seed", "--select", "pricing_markets")
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        (rows,) = conn.execute("select count(*) from reference.pricing_markets").fetchone()
    assert rows > 0
    # A staging model over a raw table no run has loaded yet: dbt fails, and says why.
    failed = wa(
        "dbt", "--warehouse", str(warehouse), "run", "--select", "stg_phone_numbers__snapshot_rows"
    )
    assert failed.returncode == 1
    assert '"raw"."phone_numbers"' in failed.stdout


def test_generate_then_run_loads_raw_tables_quarantine_and_ledger(tmp_path):
    """...and records both of its Dagster runs, with their materializations and checks,
    in the instance beside the warehouse, which `make dev` opens."""
    landing, wh = tmp_path / "landing", tmp_path / "w.duckdb"
    generated = wa(
        "generate",
        "--landing-dir",
        str(landing),
        "--days",
        "2",
        "--messages-per-day",
        "300",
        "--seed",
        "3",
    )
    assert generated.returncode == 0, generated.stderr
    completed = wa("run", "--landing-dir", str(landing), "--warehouse", str(wh), record_runs=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "raw/api_logs" in completed.stdout and "marts/tabular_report" in completed.stdout
    runs = recorded_runs(tmp_path / "dagster")
    assert [run.status for run in runs] == [DagsterRunStatus.SUCCESS] * 2
    passed = int(completed.stdout.split("checks: ")[1].split(" passed")[0])
    with DagsterInstance.from_config(str(tmp_path / "dagster")) as instance:
        evaluations = [
            e
            for run in runs
            for e in instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
        ]
        assert sum(e.dagster_event.event_specific_data.passed for e in evaluations) == passed
        summary = instance.get_latest_materialization_event(AssetKey(["marts", "summary_charges"]))
        assert summary is not None and summary.run_id == runs[0].run_id
    with duckdb.connect(str(wh), read_only=True) as conn:
        for table in (
            "raw.api_logs",
            "raw.webhook_logs",
            "raw.phone_numbers",
            "raw.load_ledger",
            "marts.tabular_report",
        ):
            assert conn.execute(f"select count(*) from {table}").fetchone()[0] > 0, table
        (unbalanced,) = conn.execute(
            "select count(*) from raw.load_ledger "
            "where lines_read != lines_loaded + lines_quarantined"
        ).fetchone()
        assert unbalanced == 0
        logs = "source in ('api_logs', 'webhook_logs')"
        (read,) = conn.execute(
            f"select sum(lines_read) from raw.load_ledger where {logs}"
        ).fetchone()
        stored = conn.execute(
            "select (select count(*) from raw.api_logs) + (select count(*) from raw.webhook_logs)"
            f" + (select count(*) from raw.quarantine where {logs})"
        ).fetchone()[0]
        assert read == stored


@pytest.mark.fast
def test_every_option_says_what_it_takes_and_its_default():
    from orchestration.cli import build_parser

    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, command in commands.choices.items():
        for action in command._actions:
            if isinstance(action, argparse._HelpAction) or not action.option_strings:
                continue
            text = action.help or ""
            assert "default" in text or "required" in text, (name, action.option_strings, text)


def recorded_runs(home: Path) -> list:
    """The runs of the Dagster instance in `home`, newest first."""
    with DagsterInstance.from_config(str(home)) as instance:
        return list(instance.get_runs())


@pytest.mark.fast
def test_a_run_whose_process_died_is_ended_and_frees_its_pool_slot(tmp_path):
    """A CLI run killed mid-way stays "started" in the instance and would hold its pool
    slot (one warehouse step at a time) for ever: the next run marks it failed and frees
    the slot."""
    from orchestration.runner import PID_TAG, dagster_instance, end_orphaned_runs
    from orchestration.settings import Settings

    settings = Settings(tmp_path / "landing", tmp_path / "w.duckdb", record_runs=True)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with dagster_instance(settings) as instance:
        orphan = instance.create_run_for_job(
            _one_step_job(), tags={PID_TAG: dead}, status=DagsterRunStatus.STARTED
        )
        alive = instance.create_run_for_job(
            _one_step_job(), tags={PID_TAG: str(os.getpid())}, status=DagsterRunStatus.STARTED
        )
        instance.event_log_storage.set_concurrency_slots("duckdb_warehouse", 1)
        instance.event_log_storage.claim_concurrency_slot("duckdb_warehouse", orphan.run_id, "s")
        end_orphaned_runs(instance)
        assert instance.get_run_by_id(orphan.run_id).status == DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(alive.run_id).status == DagsterRunStatus.STARTED
        info = instance.event_log_storage.get_concurrency_info("duckdb_warehouse")
        assert info.active_slot_count == 0


def _one_step_job():
    from dagster import job, op

    @op
    def step():
        return None

    @job
    def one_step():
        step()

    return one_step
