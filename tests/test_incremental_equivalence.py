"""R28/R29: a full refresh and any sequence of incremental runs over the same landing
files give identical marts. Compared through the three CSV exports, byte for byte.

The full refresh is the CLI run of the session fixture; the incremental runs call the
same pipeline in-process (`run_pipeline`, what `wa-reports run` calls), which saves the
CLI's imports on each of the eleven runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestration.export import export_reports
from orchestration.runner import run_pipeline
from orchestration.settings import Settings
from orchestration.warehouse import connect
from tests.conftest import ENGINE

EXPORTS = ("tabular_report.csv", "summary_messages.csv", "summary_sessions.csv")
DAYS = ["2022-11-25", "2022-11-26", "2022-11-28", "2023-06-15"]
LATE_FILE = "api_logs/dt=2022-11-25/part-b.jsonl"  # a1 logged a second time


@pytest.fixture(autouse=True)
def restored_environment(monkeypatch):
    """run_pipeline exports the paths to the environment (for dbt): undo it after."""
    for name in ("WA_LANDING_DIR", "WA_WAREHOUSE", "WA_SERVING_DIR", "WA_LAKE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WA_ENGINE", ENGINE)


def run_days(landing: Path, warehouse: Path, days: list[str]) -> None:
    settings = Settings(landing.resolve(), warehouse.resolve(), engine=ENGINE)
    for day in days:
        outcome = run_pipeline(settings, day, day, echo=lambda _: None)
        assert outcome.ok, outcome.failures


def exports(warehouse: Path, out: Path) -> dict[str, bytes]:
    with connect(warehouse, read_only=True) as conn:
        export_reports(conn, out, None, None, None)
    return {name: (out / name).read_bytes() for name in EXPORTS}


@pytest.fixture(scope="module")
def full_refresh(e2e_run) -> dict[str, bytes]:
    return {name: (e2e_run["root"] / "out" / name).read_bytes() for name in EXPORTS}


def test_day_by_day_in_order_with_a_day_rerun_twice_equals_a_full_refresh(
    e2e_run, full_refresh, tmp_path
):
    warehouse = tmp_path / "w.duckdb"
    run_days(e2e_run["landing"], warehouse, DAYS)
    after_order = exports(warehouse, tmp_path / "in_order")
    assert after_order == full_refresh
    run_days(e2e_run["landing"], warehouse, ["2022-11-26", "2022-11-26"])
    assert exports(warehouse, tmp_path / "rerun") == full_refresh


def test_shuffled_days_and_a_late_file_in_an_old_partition_equal_a_full_refresh(
    e2e_run, full_refresh, tmp_path
):
    landing = tmp_path / "landing"
    shutil.copytree(e2e_run["landing"], landing)
    late = (landing / LATE_FILE).read_bytes()
    (landing / LATE_FILE).unlink()
    warehouse = tmp_path / "w.duckdb"
    run_days(landing, warehouse, ["2023-06-15", "2022-11-28", "2022-11-25", "2022-11-26"])
    without_late_file = exports(warehouse, tmp_path / "shuffled")
    # The late copy of a1 is logged after the first: without it the reports are the
    # same, which is R1 (the earliest copy counts), so compare after it arrives too.
    assert without_late_file == full_refresh
    (landing / LATE_FILE).write_bytes(late)
    run_days(landing, warehouse, ["2022-11-25"])
    assert exports(warehouse, tmp_path / "late") == full_refresh
    # And the late file is in the warehouse: loaded, and its copy of a1 explodes.
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as conn:
        copies = conn.execute(
            "select count(*) from staging.stg_api_logs__request_recipients where request_id = 'a1'"
        ).fetchone()
    assert copies == (2,)
