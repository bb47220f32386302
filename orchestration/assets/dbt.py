"""The dbt models, seeds and tests as Dagster assets and asset checks."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from dagster import AssetExecutionContext, AssetMaterialization, Failure, Output
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration import warehouse
from orchestration.dbt_manifest import ensure_manifest
from orchestration.partitions import dbt_partition_env
from orchestration.resources import WAREHOUSE_POOL, WarehouseResource, dbt_project

ensure_manifest(dbt_project)
PARTIAL_PARSE = "partial_parse.msgpack"


def with_row_counts(events: list, manifest: dict, warehouse_path: Path) -> Iterator:
    """Add `dagster/row_count` to each model and seed output.

    Counted after dbt has exited: DuckDB lets one process write the file, and the dbt
    subprocess is that process while it runs.
    """
    with warehouse.connect(warehouse_path, read_only=True) as conn:
        for event in events:
            if isinstance(event, Output | AssetMaterialization) and "unique_id" in event.metadata:
                node = manifest["nodes"].get(event.metadata["unique_id"].text, {})
                if node.get("resource_type") in ("model", "seed"):
                    (rows,) = conn.execute(
                        f'select count(*) from "{node["schema"]}"."{node["alias"]}"'
                    ).fetchone()
                    event = event.with_metadata({**event.metadata, "dagster/row_count": rows})
            yield event


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, pool=WAREHOUSE_POOL)
def warehouse_dbt_assets(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
):
    # Unit tests test the SQL, not the data: CI runs them (tests/test_dbt_unit_tests.py),
    # scheduled runs skip their ~8 s.
    # The run's partitions reach dbt as its window (orchestration/partitions.py).
    with dbt_partition_env(context.run.tags):
        invocation = dbt.cli(
            ["build", "--exclude-resource-type", "unit_test"],
            context=context,
            raise_on_error=False,
        )
        events = list(invocation.stream())
    keep_partial_parse(invocation.target_path)
    warehouse.refresh_catalog()  # on Spark, DuckDB views over the tables just written
    yield from with_row_counts(events, invocation.manifest, Path(warehouse.path))
    if not invocation.is_successful():
        raise Failure(description=f"dbt build failed: {failed_nodes(invocation)}")


def keep_partial_parse(invocation_target: Path) -> None:
    """Hand this invocation's partial-parse state to the next one.

    dagster-dbt runs each invocation in a fresh target folder, seeded with the project's
    `target/partial_parse.msgpack`. dbt rejects that file when the profile or a project
    file differs, and then parses everything (about 3 s in the dbt process; the
    warehouse path is not in the profile, orchestration/dbt_warehouse_plugin.py).
    Copying the file back after a run lets the next run parse only what changed.
    """
    produced = invocation_target / PARTIAL_PARSE
    if produced.exists():
        shared = Path(dbt_project.project_dir) / "target" / PARTIAL_PARSE
        staged = shared.with_name(f".{PARTIAL_PARSE}.{os.getpid()}.tmp")
        shutil.copyfile(produced, staged)
        os.replace(staged, shared)


def failed_nodes(invocation) -> str:
    """The dbt nodes that errored or failed, named as dbt names them."""
    results = invocation.get_artifact("run_results.json").get("results", [])
    failed = [
        r["unique_id"].split(".", 2)[-1]
        for r in results
        if r.get("status") in ("error", "fail", "runtime error")
    ]
    return ", ".join(failed) or "see the dbt log"
