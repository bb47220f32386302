"""dbt's unit tests (models/**/_*unit_tests.yml): hand-written rows for every dedupe,
CASE and precedence rule. Runs them against the warehouse of the end-to-end run, whose
relations give the unit tests their column types."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestration.settings import DBT_PROFILES_DIR, DBT_PROJECT_DIR

DBT = Path(sys.executable).parent / "dbt"


def test_every_dbt_unit_test_passes(e2e_run, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WA_")}
    env["WA_WAREHOUSE"] = str(e2e_run["warehouse"])
    done = subprocess.run(
        [
            str(DBT),
            "test",
            "--select",
            "test_type:unit",
            "--profiles-dir",
            str(DBT_PROFILES_DIR),
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(tmp_path / "target"),  # its own: other tests may run dbt meanwhile
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=DBT_PROJECT_DIR,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:]
    # Unit tests are named `model::test`; the run's other nodes (hooks) are not counted.
    passed = [line for line in done.stdout.splitlines() if " PASS " in line and "::" in line]
    assert len(passed) == 12, done.stdout[-4000:]
