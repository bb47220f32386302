"""Two overlapping runs that both write the warehouse: the pool makes the second wait.

DuckDB lets one process write a file; a second writer fails at once ("Could not set
lock"). Every writing asset is in the pool `duckdb_warehouse`, which the instance
settings (`orchestration/dagster.yaml`) limit to one step at a time. Here, run A (the
daily job: raw loads, then dbt) is started; once its dbt step holds the warehouse, run
B (the raw loads of another day, as a manual backfill would) is started. B must wait
for A's step, say so in its event log, and both must succeed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance

from orchestration.settings import PROJECT_ROOT
from tests.e2e_landing import build

DAGSTER = Path(sys.executable).parent / "dagster"
POOL = "duckdb_warehouse"


def _execute(env: dict[str, str], partition: str, ops: str | None = None) -> subprocess.Popen:
    command = [
        str(DAGSTER),
        "job",
        "execute",
        "-m",
        "orchestration.definitions",
        "-j",
        "daily_warehouse_update",
        "--tags",
        json.dumps({"dagster/partition": partition}),
    ]
    if ops:
        command += ["-o", ops]
    return subprocess.Popen(
        command, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _step_events(instance: DagsterInstance, run_id: str) -> list:
    return [e for e in instance.all_logs(run_id) if e.is_dagster_event]


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def test_the_pool_serializes_two_overlapping_runs_that_write(tmp_path):
    landing = build(tmp_path / "landing")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(PROJECT_ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WA_", "DAGSTER_"))}
    env |= {
        "DAGSTER_HOME": str(home),
        "WA_LANDING_DIR": str(landing),
        "WA_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
    }
    instance = DagsterInstance.from_config(str(home))

    run_a = _execute(env, "2022-11-25")
    try:

        def a_is_in_dbt() -> bool:
            runs = instance.get_runs()
            return bool(runs) and any(
                e.dagster_event.event_type == DagsterEventType.STEP_START
                and e.step_key == "warehouse_dbt_assets"
                for e in _step_events(instance, runs[-1].run_id)
            )

        _wait_for(a_is_in_dbt, 120, "run A's dbt step to start")
        run_b = _execute(env, "2022-11-26", ops="raw__api_logs,raw__webhook_logs")
        out_b = run_b.communicate(timeout=300)[0].decode()
    finally:
        out_a = run_a.communicate(timeout=300)[0].decode()

    assert run_a.returncode == 0, out_a[-3000:]
    assert run_b.returncode == 0, out_b[-3000:]
    runs = sorted(instance.get_runs(), key=lambda r: r.tags["dagster/partition"])
    assert [r.status.value for r in runs] == ["SUCCESS", "SUCCESS"]

    # No two steps of the two runs ever held the warehouse at the same time.
    intervals = []
    for run in runs:
        started: dict[str, float] = {}
        for event in _step_events(instance, run.run_id):
            kind = event.dagster_event.event_type
            if kind == DagsterEventType.STEP_START:
                started[event.step_key] = event.timestamp
            elif kind in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                intervals.append((started[event.step_key], event.timestamp, run.run_id))
    intervals.sort()
    assert len({run_id for _, _, run_id in intervals}) == 2
    for (_, end, _), (start, _, _) in zip(intervals, intervals[1:], strict=False):
        assert start >= end

    # B waited, and its event log says for which pool.
    blocked = [
        e.message
        for e in _step_events(instance, runs[1].run_id)
        if POOL in (e.message or "") and "block" in (e.message or "").lower()
    ]
    assert blocked, "run B never reported waiting for the pool"
