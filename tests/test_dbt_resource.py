"""The dbt resource knows dbt's version without asking the executable every run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import dagster_dbt.core.resource as dagster_dbt_resource
import pytest

from orchestration.resources import WarehouseDbtCliResource, build_resources
from orchestration.settings import Settings


@pytest.fixture
def resource(tmp_path) -> WarehouseDbtCliResource:
    settings = Settings.from_env(warehouse=str(tmp_path / "w.duckdb"))
    dbt = build_resources(settings)["dbt"]
    assert isinstance(dbt, WarehouseDbtCliResource)
    return dbt


def test_the_version_is_the_one_the_executable_reports(resource):
    reported = subprocess.run(
        [resource.dbt_executable, "--version"], capture_output=True, text=True, check=True
    ).stdout
    (core,) = re.findall(r"installed: (\d+\.\d+\.\d+)", reported)
    assert str(resource._cli_version) == core
    # The version stands for this executable only: the dbt beside this interpreter.
    assert Path(resource.dbt_executable) == Path(sys.executable).parent / "dbt"


def test_an_invocation_runs_no_version_subprocess(resource, monkeypatch):
    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"dagster-dbt ran a subprocess for the version: {args}")

    # dagster-dbt's own way to learn the version: if it stops going through
    # `_cli_version`, this patched call is reached and the test fails.
    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    invocation = resource.cli(["list", "--resource-type", "seed", "--quiet"])
    assert invocation.wait().is_successful()
