"""The daily job, its schedule, and the sensor that notices new or grown landing files."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    Failure,
    MetadataValue,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    build_schedule_from_partitioned_job,
    define_asset_job,
    in_process_executor,
    job,
    op,
    sensor,
)

from orchestration.ingest import landing
from orchestration.partitions import FIRST_PARTITION, daily_partitions
from orchestration.quality.full_check import run_full_check
from orchestration.resources import WAREHOUSE_POOL, WarehouseResource

# Every asset, for one dt partition: the raw loads of that day, then dbt (whose staging
# models pick up every partition loaded since they last ran), the checks and the
# serving copy. A backfill of many days is one run (single-run backfill policy).
daily_job = define_asset_job(
    "daily_warehouse_update",
    selection=AssetSelection.all(),
    partitions_def=daily_partitions,
    # One process for the whole run: the pool lets one warehouse step run at a time
    # anyway, and a process per step would import Dagster, dbt and GX each time (10 s+).
    executor_def=in_process_executor,
    description="Load one landing day (or a range, as a backfill) and rebuild the reports.",
)

# 01:00 UTC, for yesterday's partition: the day whose lines are complete.
daily_schedule = build_schedule_from_partitioned_job(
    daily_job,
    hour_of_day=1,
    minute_of_hour=0,
    default_status=DefaultScheduleStatus.RUNNING,
)


def partition_fingerprints(landing_dir: Path) -> dict[str, str]:
    """dt -> a hash of the names, sizes and modification times of its files."""
    files: dict[str, list[str]] = {}
    for source in landing.LOG_SOURCES:
        for dt in landing.partitions(landing_dir, source):
            for path in landing.log_files(landing_dir, source, dt):
                stat = path.stat()
                files.setdefault(dt, []).append(
                    f"{source}/{path.name}:{stat.st_size}:{stat.st_mtime_ns}"
                )
    return {
        dt: hashlib.sha256("\n".join(sorted(entries)).encode()).hexdigest()[:16]
        for dt, entries in files.items()
    }


def changed_partitions(previous: dict[str, str], current: dict[str, str]) -> list[str]:
    """Partitions that are new or whose files changed, within the partitions definition."""
    last = daily_partitions.get_last_partition_key()
    return sorted(
        dt
        for dt, fingerprint in current.items()
        if previous.get(dt) != fingerprint and FIRST_PARTITION <= dt <= (last or dt)
    )


@sensor(job=daily_job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.STOPPED)
def landing_sensor(context: SensorEvaluationContext, warehouse: WarehouseResource):
    """A new or grown file in a landing partition requests that partition's run."""
    previous = json.loads(context.cursor) if context.cursor else {}
    current = partition_fingerprints(warehouse.landing)
    changed = changed_partitions(previous, current)
    context.update_cursor(json.dumps(current, sort_keys=True))
    if not changed:
        yield SkipReason("no new or changed landing files")
        return
    for dt in changed:
        date.fromisoformat(dt)
        yield RunRequest(partition_key=dt, run_key=f"{dt}:{current[dt]}")


@op(pool=WAREHOUSE_POOL)
def check_every_row(context, warehouse: WarehouseResource) -> None:  # context: Dagster's
    """`wa-reports check`: every dbt test and data-quality check over all rows. The run
    fails when an error-level check fails; each finding is one line in the log."""
    outcome = run_full_check(warehouse.settings())
    for finding in outcome.failed + outcome.warned:
        (context.log.error if finding.severity == "ERROR" else context.log.warning)(finding.line())
    context.log.info(outcome.summary())
    if outcome.failed:
        raise Failure(
            description=outcome.summary(),
            metadata={"failed": MetadataValue.text("\n".join(f.line() for f in outcome.failed))},
        )


@job(
    executor_def=in_process_executor,
    description="Every dbt test and data-quality check over all rows: what the daily "
    "runs, which judge what they changed, cannot see.",
)
def weekly_full_check():
    check_every_row()


# Sundays at 03:00 UTC, after the daily run of 01:00.
weekly_check_schedule = ScheduleDefinition(
    job=weekly_full_check,
    cron_schedule="0 3 * * 0",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
