"""dbt's unit tests (models/**/_*unit_tests.yml): hand-written rows for every dedupe,
CASE and precedence rule. They run against a warehouse whose relations are built empty
(the raw tables, then every seed and model over them), which gives the unit tests their
column types without any landing data: part of `make test-fast`."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.ingest.raw_schema import ensure_raw_schema
from tests.conftest import dbt_on

pytestmark = pytest.mark.fast

MODELS = Path(__file__).parent.parent / "models"


def defined_unit_tests() -> set[str]:
    """`model::name` of every unit test written in the models' YAML files."""
    return {
        f"{test['model']}::{test['name']}"
        for path in MODELS.rglob("_*unit_tests.yml")
        for test in yaml.safe_load(path.read_text())["unit_tests"]
    }


def test_every_dbt_unit_test_passes(tmp_path):
    warehouse = tmp_path / "empty.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        ensure_raw_schema(conn)
    target = tmp_path / "target"  # its own: other tests may run dbt meanwhile
    dbt_on(warehouse, "build", "--exclude-resource-type", "unit_test", "test", target=target)
    stdout = dbt_on(warehouse, "test", "--select", "test_type:unit", target=target)
    # Unit tests are named `model::test`; the run's other nodes (hooks) are not counted.
    passed = {
        word
        for line in stdout.splitlines()
        if " PASS " in line
        for word in line.split()
        if "::" in word
    }
    assert passed == defined_unit_tests(), stdout[-4000:]
