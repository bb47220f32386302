"""Fixtures shared by the suites: one run of the pipeline on the hand-made landing dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e_landing import build

WA_REPORTS = Path(sys.executable).parent / "wa-reports"


def wa(*args: str) -> subprocess.CompletedProcess:
    """Run the CLI with paths from its arguments only: no WA_* variable leaks in from a
    test that imported the definitions (they export the paths for dbt)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WA_")}
    return subprocess.run(
        [str(WA_REPORTS), *args], capture_output=True, text=True, check=False, env=env
    )


@pytest.fixture(scope="session")
def e2e_run(tmp_path_factory) -> dict:
    """`wa-reports run` then `export` on tests/e2e_landing.py, once per session."""
    root = tmp_path_factory.mktemp("e2e")
    landing = build(root / "landing")
    warehouse = root / "warehouse.duckdb"
    run = wa("run", "--landing-dir", str(landing), "--warehouse", str(warehouse))
    exported = wa("export", "--warehouse", str(warehouse), "--out", str(root / "out"))
    return {
        "root": root,
        "landing": landing,
        "warehouse": warehouse,
        "run": run,
        "export": exported,
    }
