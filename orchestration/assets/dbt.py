"""The dbt models, seeds and tests as Dagster assets and asset checks."""

import time
from pathlib import Path

from dagster import AssetExecutionContext, Config, Failure
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.dbt.build import (
    LayerGroups,
    failed_nodes,
    prune_invocation_folders,
    report_progress,
    with_row_counts,
)
from orchestration.dbt.invocation import keep_partial_parse
from orchestration.dbt.manifest import ensure_manifest
from orchestration.dbt.project import dbt_project
from orchestration.resources import WAREHOUSE_POOL, WarehouseResource

ensure_manifest(dbt_project)


class DbtBuildConfig(Config):
    """How the dbt build runs (the launchpad's `config` of `warehouse_dbt_assets`)."""

    # Rebuild every model whole: after an upgrade that changed a model's columns (its
    # incremental build then fails, on_schema_change: fail), or a changed seed.
    full_refresh: bool = False


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    pool=WAREHOUSE_POOL,
    dagster_dbt_translator=LayerGroups(),
)
def warehouse_dbt_assets(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    config: DbtBuildConfig,
):
    # Unit tests test the SQL, not the data: CI runs them (tests/test_dbt_unit_tests.py),
    # scheduled runs skip their ~8 s.
    # dbt takes in every load since its last successful build, whatever the run's
    # partitions (models/changes/change_window.sql).
    invocation = dbt.cli(
        [
            "build",
            "--exclude-resource-type",
            "unit_test",
            *(["--full-refresh"] if config.full_refresh else []),
        ],
        context=context,
        raise_on_error=False,
    )
    events = list(report_progress(invocation.stream(), time.monotonic()))
    keep_partial_parse(invocation.target_path)
    prune_invocation_folders(invocation.target_path)
    warehouse.refresh_catalog()  # on Spark, DuckDB views over the tables just written
    yield from with_row_counts(events, invocation.manifest, Path(warehouse.path))
    if not invocation.is_successful():
        raise Failure(description=f"dbt build failed: {failed_nodes(invocation)}")
