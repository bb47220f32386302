"""Great Expectations suites as Dagster asset checks, beside the assets they judge.

ERROR checks block what is downstream of their asset in the same run; WARN checks only
report. Each result carries the failing count, a few sample keys (partitions, files or
report rows) and the check's own figures.
"""

from pathlib import Path

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from orchestration import warehouse as warehouse_files
from orchestration.partitions import run_partition_window
from orchestration.quality.checks import (
    MODEL_CHECKS,
    RAW_CHECKS,
    REGISTRY_CHECKS,
    Check,
    CheckScope,
)
from orchestration.resources import WAREHOUSE_POOL, WarehouseResource


def _as_asset_check(check: Check):
    @asset_check(
        asset=AssetKey(check.asset.split("/")),
        name=check.name,
        description=f"{check.rule} ({check.severity.lower()})",
        blocking=check.severity == "ERROR",
        # Reading the warehouse file also needs DuckDB's lock: a check must not run
        # while another run writes it.
        pool=WAREHOUSE_POOL,
    )
    def _check(
        context: AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> AssetCheckResult:
        # A raw check judges the partitions its run loaded; a run without partitions, all.
        scope = CheckScope(
            warehouse.quarantine_threshold,
            run_partition_window(context.run.tags),
            warehouse.landing,
        )
        with warehouse_files.connect(Path(warehouse.path), read_only=True) as conn:
            outcome = check.evaluate(conn, scope)
        return AssetCheckResult(
            passed=outcome.passed,
            severity=AssetCheckSeverity[check.severity],
            description=outcome.summary(),
            metadata={
                "failing_count": outcome.failing_count,
                "sample_keys": MetadataValue.text(", ".join(outcome.samples) or "-"),
                "rule": MetadataValue.text(check.rule),
                **outcome.details,
            },
        )

    return _check


raw_checks = [_as_asset_check(check) for check in RAW_CHECKS]
# The registry's checks run with the models: the registry loads in the same run as dbt.
model_checks = [_as_asset_check(check) for check in REGISTRY_CHECKS + MODEL_CHECKS]
