"""Raw-load assets: landing files -> `raw` tables, with quarantine and ledger (R26-R28)."""

import time

from dagster import (
    AssetExecutionContext,
    AssetSpec,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    asset,
)

from orchestration.ingest import landing
from orchestration.ingest.load import (
    LoadResult,
    load_log_partitions,
    load_phone_numbers,
    load_wabas,
)
from orchestration.partitions import daily_partitions
from orchestration.resources import WAREHOUSE_POOL, WarehouseResource


def _metadata(results: list[LoadResult], seconds: float) -> dict[str, object]:
    return {
        "partitions": MetadataValue.text(", ".join(r.dt or "-" for r in results)),
        "partitions_unchanged": sum(r.skipped for r in results),
        "files": sum(len(r.files) for r in results),
        "lines_read": sum(r.lines_read for r in results if not r.skipped),
        "lines_loaded": sum(r.lines_loaded for r in results if not r.skipped),
        "lines_quarantined": sum(r.lines_quarantined for r in results if not r.skipped),
        "lines_blank": sum(r.lines_blank for r in results if not r.skipped),
        "damaged_files": MetadataValue.text(
            ", ".join(f for r in results if not r.skipped for f in r.damaged_files) or "-"
        ),
        "seconds": round(seconds, 2),
    }


def _log_source_asset(source: str, description: str):
    @asset(
        key_prefix="raw",
        name=source,
        description=description,
        group_name="raw",
        partitions_def=daily_partitions,
        # A backfill of many days is one run that loads each day in turn.
        backfill_policy=BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        kinds={"python", "duckdb"},
    )
    def _load(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        started = time.monotonic()
        results = []
        with warehouse.raw_sink() as sink:
            # A day with a folder is loaded; a day loaded before whose folder is gone
            # loses its rows; a day never seen has nothing to load or remove.
            loaded = set(sink.loaded_partitions(source))
            days = [
                dt
                for dt in context.partition_keys
                if dt in loaded or landing.partition_dir(warehouse.landing, source, dt).is_dir()
            ]
            for result in load_log_partitions(
                sink, warehouse.landing, source, days, warehouse.load_workers
            ):
                context.log.info(
                    f"raw.{source} dt={result.dt}: {result.lines_read} read, {result.lines_loaded} "
                    f"loaded, {result.lines_quarantined} quarantined, {result.lines_blank} blank"
                    + (" (unchanged, skipped)" if result.skipped else "")
                    + "".join(f"; {f} is damaged" for f in result.damaged_files)
                )
                results.append(result)
        return MaterializeResult(metadata=_metadata(results, time.monotonic() - started))

    return _load


api_logs = _log_source_asset(
    "api_logs", "One row per valid line of api_logs/dt=*/: a send request (docs/landing.md)."
)
webhook_logs = _log_source_asset(
    "webhook_logs", "One row per valid line of webhook_logs/dt=*/: a webhook POST from Meta."
)


@asset(
    key_prefix="raw",
    name="phone_numbers",
    description="Every row of every phone-number registry snapshot (replaced whole each load).",
    group_name="raw",
    pool=WAREHOUSE_POOL,
    kinds={"python", "duckdb"},
)
def phone_numbers(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    started = time.monotonic()
    with warehouse.raw_sink() as sink:
        result = load_phone_numbers(sink, warehouse.landing)
    return MaterializeResult(metadata=_metadata([result], time.monotonic() - started))


@asset(
    key_prefix="raw",
    name="wabas",
    description="Every row of every WABA registry snapshot (optional; replaced whole each load).",
    group_name="raw",
    pool=WAREHOUSE_POOL,
    kinds={"python", "duckdb"},
)
def wabas(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    started = time.monotonic()
    with warehouse.raw_sink() as sink:
        result = load_wabas(sink, warehouse.landing)
    return MaterializeResult(metadata=_metadata([result], time.monotonic() - started))


# Tables the dbt models read that no asset materializes on its own: the load ledger,
# written by every raw load, and dbt's change log, written by its hooks
# (dbt_project/macros/change_log.sql). Declared so that the UI shows them in their layer.
bookkeeping_tables = [
    AssetSpec(
        key=["raw", "load_ledger"],
        group_name="raw",
        description="One row per landing file per load: what was read, loaded, quarantined.",
    ),
    AssetSpec(
        key=["changes", "successful_builds"],
        group_name="changes",
        description="One row per dbt build that built every model and failed nothing.",
    ),
    AssetSpec(
        key=["changes", "replaced_rows_log"],
        group_name="changes",
        description="Keys of the staging rows a partition reload replaced, for the next build.",
    ),
]
