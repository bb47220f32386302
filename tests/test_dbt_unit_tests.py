"""dbt's unit tests (models/**/_*unit_tests.yml): hand-written rows for every dedupe,
CASE and precedence rule. Runs them against the warehouse of the end-to-end run, whose
relations give the unit tests their column types."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import dbt_on

MODELS = Path(__file__).parent.parent / "models"


def defined_unit_tests() -> set[str]:
    """`model::name` of every unit test written in the models' YAML files."""
    return {
        f"{test['model']}::{test['name']}"
        for path in MODELS.rglob("_*unit_tests.yml")
        for test in yaml.safe_load(path.read_text())["unit_tests"]
    }


def test_every_dbt_unit_test_passes(e2e_run, tmp_path):
    # Its own target folder: other tests may run dbt meanwhile.
    stdout = dbt_on(
        e2e_run["warehouse"], "test", "--select", "test_type:unit", target=tmp_path / "target"
    )
    # Unit tests are named `model::test`; the run's other nodes (hooks) are not counted.
    passed = {
        word
        for line in stdout.splitlines()
        if " PASS " in line
        for word in line.split()
        if "::" in word
    }
    assert passed == defined_unit_tests(), stdout[-4000:]
