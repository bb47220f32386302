"""dbt's unit tests (models/**/_*unit_tests.yml): hand-written rows for every dedupe,
CASE and precedence rule. Runs them against the warehouse of the end-to-end run, whose
relations give the unit tests their column types."""

from __future__ import annotations

from tests.conftest import dbt_on


def test_every_dbt_unit_test_passes(e2e_run, tmp_path):
    # Its own target folder: other tests may run dbt meanwhile.
    stdout = dbt_on(
        e2e_run["warehouse"], "test", "--select", "test_type:unit", target=tmp_path / "target"
    )
    # Unit tests are named `model::test`; the run's other nodes (hooks) are not counted.
    passed = [line for line in stdout.splitlines() if " PASS " in line and "::" in line]
    assert len(passed) == 12, stdout[-4000:]
