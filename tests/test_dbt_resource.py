"""What dbt costs to start: no version subprocess, no re-parse for a new warehouse file."""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import dagster_dbt.core.resource as dagster_dbt_resource
import duckdb
import pytest
from dagster_dbt import DbtCliResource

from orchestration.dbt.project import WarehouseDbtCliResource
from orchestration.dbt.warehouse_plugin import ALIAS, PLACEHOLDER, Plugin
from orchestration.resources import build_resources
from orchestration.settings import Settings
from tests.conftest import dbt_on


@pytest.fixture
def resource(tmp_path, restored_environment) -> WarehouseDbtCliResource:
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


def test_an_invocation_runs_no_version_subprocess_and_builds_no_adapter(resource, monkeypatch):
    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"dagster-dbt ran a subprocess for the version: {args}")

    adapters_built = []

    def count_adapter(*args, **kwargs):
        adapters_built.append(args)

    # dagster-dbt's own ways to learn the version and to build its adapter: if it stops
    # going through the two overridden names, a patched one is reached and the test
    # fails. (dagster-dbt turns an error while building the adapter into a warning, so
    # the stock builder is counted rather than made to raise.)
    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    monkeypatch.setattr(DbtCliResource, "_initialize_dbt_core_adapter", count_adapter)
    invocation = resource.cli(["list", "--resource-type", "seed", "--quiet"])
    assert invocation.wait().is_successful()
    assert adapters_built == [] and invocation.adapter is None


def _dbt_seed(warehouse: Path, target: Path) -> str:
    return dbt_on(warehouse, "seed", "--select", "free_tier_rules", target=target)


def test_a_new_warehouse_file_keeps_dbts_parse_and_gets_the_tables(tmp_path):
    """dbt reuses its saved parse only while the profile is the same: the warehouse path
    reaches dbt through the plugin, not the profile, so a new file costs no re-parse."""
    first, second = tmp_path / "first.duckdb", tmp_path / "second.duckdb"
    target = tmp_path / "target"
    _dbt_seed(first, target)  # leaves target/partial_parse.msgpack
    log = _dbt_seed(second, target)
    assert "Unable to do partial parsing" not in log
    for path in (first, second):
        with duckdb.connect(str(path), read_only=True) as conn:
            (rows,) = conn.execute("select count(*) from reference.free_tier_rules").fetchone()
        assert rows > 0


def test_old_invocation_folders_are_removed_young_and_newest_ones_kept(tmp_path):
    """dagster-dbt never removes its per-invocation target folders."""
    from orchestration.dbt.build import KEPT_INVOCATION_FOLDERS, prune_invocation_folders

    now = 1_800_000_000.0

    def folder(name: str, age_minutes: float, log_age_minutes: float | None = None) -> Path:
        path = tmp_path / name
        path.mkdir()
        stamp = now - age_minutes * 60
        if log_age_minutes is not None:
            log_stamp = now - log_age_minutes * 60
            (path / "dbt.log").write_text("...")
            os.utime(path / "dbt.log", (log_stamp, log_stamp))
        os.utime(path, (stamp, stamp))
        return path

    young = [folder(f"warehouse_dbt_assets-r{m}-u", m) for m in (5, 10, 15, 20, 25, 30, 35)]
    still_logging = folder("warehouse_dbt_assets-rlong-u", 180, log_age_minutes=2)
    old = [folder(f"warehouse_dbt_assets-r{m}-u", m) for m in (120, 180)]
    current = folder("warehouse_dbt_assets-rnow-u", 240)  # the caller's own: always kept
    other = folder("cli-abc", 600)  # not an invocation folder of this asset
    assert len(young) > KEPT_INVOCATION_FOLDERS  # kept for their age, not their rank

    removed = prune_invocation_folders(current, now=now)

    assert sorted(removed) == sorted(old)
    assert not any(path.exists() for path in old)
    assert all(path.exists() for path in [*young, still_logging, current, other])


def test_the_plugin_attaches_the_warehouse_and_freezes_what_dbt_has_built(monkeypatch):
    """When dbt connects, the placeholder becomes $WA_WAREHOUSE (other attachments stay),
    and the objects alive then leave the collector's reach (a faster dbt exit)."""
    monkeypatch.setenv("WA_WAREHOUSE", "/some/where/w.duckdb")
    warehouse = SimpleNamespace(alias=ALIAS, path=PLACEHOLDER)
    other = SimpleNamespace(alias="other", path=PLACEHOLDER)
    gc.unfreeze()
    try:
        Plugin(name="warehouse", plugin_config={}).update_connection_config(
            SimpleNamespace(attach=[warehouse, other]), {}
        )
        frozen = gc.get_freeze_count()
    finally:
        gc.unfreeze()  # this test process keeps collecting as before
    assert (warehouse.path, other.path) == ("/some/where/w.duckdb", PLACEHOLDER)
    assert frozen > 10_000  # pytest's own objects at least


def test_settings_reach_dbt_and_this_process_environment_stays_as_it_was(
    tmp_path, restored_environment
):
    """Settings -> resources -> dbt's environment: the dbt the resource starts builds into
    the settings' warehouse (not the default one), and neither importing the code
    location nor running dbt changes this process's environment."""
    import os

    import duckdb

    before = dict(os.environ)
    import orchestration.definitions  # noqa: F401  (the code location, as `make dev` loads it)

    warehouse = tmp_path / "elsewhere" / "w.duckdb"
    warehouse.parent.mkdir()
    dbt = build_resources(Settings(tmp_path / "landing", warehouse))["dbt"]
    invocation = dbt.cli(
        ["seed", "--select", "pricing_eras", "--quiet"], target_path=tmp_path / "t"
    )
    assert invocation.wait().is_successful()
    assert dict(os.environ) == before
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        (rows,) = conn.execute("select count(*) from reference.pricing_eras").fetchone()
    assert rows == 2


def test_a_stale_manifest_is_parsed_again_whatever_the_engine(tmp_path, monkeypatch):
    """A project file newer than the manifest makes the next import parse again: also
    when the shell picked Spark and named no lake folder (dbt's Spark target needs one)."""
    from dagster_dbt import DbtProject

    from orchestration.dbt.manifest import ensure_manifest
    from orchestration.settings import DBT_PROJECT_DIR

    for name in ("WA_LAKE_DIR", "WA_DBT_TARGET", "WA_SERVING_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WA_ENGINE", "spark")
    project = DbtProject(project_dir=DBT_PROJECT_DIR, target_path=tmp_path / "target")
    assert not project.manifest_path.exists()  # as stale as a manifest can be
    manifest = ensure_manifest(project)
    assert manifest == project.manifest_path
    assert "model.whatsapp_reports.fct_messages" in manifest.read_text()
