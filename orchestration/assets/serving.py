"""Publish the marts as a read-only serving copy after every successful run."""

import time
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.publish.serving import SERVED_TABLES, publish
from orchestration.resources import WAREHOUSE_POOL, WarehouseResource


@asset(
    key=AssetKey(["serving", "marts"]),
    description=(
        "A read-only copy of the marts (a DuckDB file and Parquet files) that analysts "
        "query while the next run writes the warehouse. Replaced atomically; skipped, so "
        "the last good copy stays, when a model or an error-level check fails upstream."
    ),
    group_name="serving",
    deps=[AssetKey(["marts", table]) for table in SERVED_TABLES],
    # It reads the warehouse file, which DuckDB cannot share with a writing process.
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "parquet"},
)
def serving_marts(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    started = time.monotonic()
    serving_dir = Path(warehouse.serving_dir)
    rows = publish(Path(warehouse.path), serving_dir)
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(serving_dir)),
            "tables": len(rows),
            "dagster/row_count": sum(rows.values()),
            "seconds": round(time.monotonic() - started, 2),
        }
    )
