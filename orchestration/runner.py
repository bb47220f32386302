"""Materialize the whole asset graph in-process, as `wa-reports run` does.

Two Dagster runs: the daily raw loads over the partition range found in the landing
zone (one run, thanks to the single-run backfill policy), then the registry load and
the dbt build with its tests. Each prints one line per asset or model.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from dagster import AssetKey, DagsterInstance, materialize
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from orchestration import landing
from orchestration.ingest.sinks import ParquetSink
from orchestration.settings import Settings
from orchestration.warehouse import environment_failure

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


@dataclass
class CheckLine:
    asset: str
    name: str
    severity: str
    passed: bool
    description: str


@dataclass
class RunOutcome:
    partitions: list[str]
    failures: list[str] = field(default_factory=list)
    checks: list[CheckLine] = field(default_factory=list)
    seconds: float = 0.0
    log_path: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def environment_failure(self) -> str | None:
        return next(filter(None, map(environment_failure, self.failures)), None)


def select_partitions(settings: Settings, dt_from: str | None, dt_to: str | None) -> list[str]:
    """The partitions in the landing folder and those loaded before (a folder deleted
    since loses its rows), between `dt_from` and `dt_to`."""
    known = set(landing.all_partitions(settings.landing_dir)) | _loaded_partitions(settings)
    return sorted(
        dt for dt in known if (dt_from is None or dt >= dt_from) and (dt_to is None or dt <= dt_to)
    )


def _loaded_partitions(settings: Settings) -> set[str]:
    """The log partitions the warehouse's ledger holds (none before the first load)."""
    if settings.engine == "spark":
        sink = ParquetSink(settings.lake)
        return {dt for source in landing.LOG_SOURCES for dt in sink.loaded_partitions(source)}
    if not settings.warehouse.exists():
        return set()
    try:
        with duckdb.connect(str(settings.warehouse), read_only=True) as conn:
            rows = conn.execute(
                "select distinct cast(dt as varchar) from raw.load_ledger"
                " where dt is not null and source <> 'phone_numbers'"
            ).fetchall()
    except (duckdb.CatalogException, duckdb.IOException):
        return set()  # no ledger yet, or a run holds the warehouse (it then says so)
    return {dt for (dt,) in rows}


def _dbt_config(full_refresh: bool) -> dict:
    """The dbt asset's run config (orchestration/assets/dbt.py, DbtBuildConfig)."""
    return {"ops": {"warehouse_dbt_assets": {"config": {"full_refresh": full_refresh}}}}


def _instance() -> DagsterInstance:
    return DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()


def _describe(key: AssetKey, metadata: dict) -> str:
    def value(name: str):
        entry = metadata.get(name)
        return getattr(entry, "value", entry)

    name = key.to_user_string()
    if value("lines_read") is not None:
        return (
            f"{name:<58} {value('lines_read'):>9} read {value('lines_loaded'):>9} loaded "
            f"{value('lines_quarantined'):>6} quarantined {value('seconds'):>7.2f}s"
        )
    rows = value("dagster/row_count")
    seconds = value("Execution Duration") or value("seconds")
    rows_text = f"{rows:>9} rows" if rows is not None else " " * 14
    seconds_text = f"{seconds:>7.2f}s" if isinstance(seconds, int | float) else ""
    return f"{name:<58} {rows_text} {seconds_text}"


def _report(result, echo: Callable[[str], None], outcome: RunOutcome) -> None:
    reported: set[AssetKey] = set()
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        if materialization.asset_key in reported:
            continue  # a run over a partition range records each partition alike
        reported.add(materialization.asset_key)
        echo(_describe(materialization.asset_key, dict(materialization.metadata)))
    for evaluation in result.get_asset_check_evaluations():
        check = CheckLine(
            evaluation.asset_key.to_user_string(),
            evaluation.check_name,
            evaluation.severity.value,
            evaluation.passed,
            evaluation.description or "",
        )
        outcome.checks.append(check)
        if not check.passed and check.severity == "ERROR":
            outcome.failures.append(f"check {check.name} on {check.asset}")
    for event in result.all_events:
        if event.is_step_failure:
            message = _root_cause(event.step_failure_data.error)
            outcome.failures.append(f"{event.step_key}: {message}")
            echo(f"FAILED {event.step_key}: {message}")


def _root_cause(error) -> str:
    """The innermost error's first line: Dagster wraps the user's exception."""
    if error is None:
        return "step failed"
    while error.cause is not None:
        error = error.cause
    lines = error.message.strip().splitlines()
    return lines[0] if lines else error.cls_name or "step failed"


def check_summary(checks: list[CheckLine]) -> list[str]:
    """One screen: the totals, then every check that did not pass, errors first."""
    failed = [c for c in checks if not c.passed and c.severity == "ERROR"]
    warned = [c for c in checks if not c.passed and c.severity != "ERROR"]
    lines = [
        f"checks: {len(checks) - len(failed) - len(warned)} passed, "
        f"{len(warned)} warnings, {len(failed)} failed"
    ]
    for check in failed + warned:
        label = "FAIL" if check.severity == "ERROR" else "WARN"
        detail = f": {check.description}" if check.description else ""
        lines.append(f"  {label} {check.asset} {check.name}{detail}"[:160])
    return lines


@contextlib.contextmanager
def _to_log(log, echo: Callable[[str], None]):
    """Dagster's and dbt's own output (stack traces included) go to the run's log file;
    the lines printed by `echo` summarise it. Meanwhile the dbt asset's progress (a line
    per model as dbt finishes it, logger `whatsapp_reports.dbt_progress`) goes to `echo`
    as it happens, on the terminal the run started from."""
    terminal = sys.stdout

    class Progress(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            with contextlib.redirect_stdout(terminal):
                echo(record.getMessage())

    logger = logging.getLogger("whatsapp_reports.dbt_progress")
    handler = Progress()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            yield
    finally:
        logger.removeHandler(handler)


def run_pipeline(
    settings: Settings,
    dt_from: str | None = None,
    dt_to: str | None = None,
    echo: Callable[[str], None] = print,
    full_refresh: bool = False,
) -> RunOutcome:
    settings.export_env()
    from orchestration.assets.checks import model_checks, raw_checks
    from orchestration.assets.dbt import warehouse_dbt_assets
    from orchestration.assets.ingest import api_logs, phone_numbers, wabas, webhook_logs
    from orchestration.assets.serving import serving_marts
    from orchestration.resources import build_resources

    # Dagster, dbt and GX leave millions of long-lived objects: moved out of the
    # collector's reach, every full collection (here, in the forked parse workers and
    # at exit) stops walking them.
    gc.freeze()
    started = time.monotonic()
    log_path = settings.warehouse.parent / "logs" / "last_run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    resources = build_resources(settings)
    instance = _instance()
    partitions = select_partitions(settings, dt_from, dt_to)
    outcome = RunOutcome(partitions)
    unknown = landing.unknown_paths(settings.landing_dir)
    if unknown:
        shown = ", ".join(unknown[:5]) + (
            f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        )
        echo(f"skipped {len(unknown)} paths the landing layout does not know: {shown}")
    window_tags = (
        {
            ASSET_PARTITION_RANGE_START_TAG: partitions[0],
            ASSET_PARTITION_RANGE_END_TAG: partitions[-1],
        }
        if partitions
        else {}
    )
    if partitions:
        echo(f"loading {len(partitions)} partitions {partitions[0]} .. {partitions[-1]}")
        with log_path.open("w") as log, _to_log(log, echo):
            result = materialize(
                [api_logs, webhook_logs, *raw_checks],
                resources=resources,
                instance=instance,
                raise_on_error=False,
                run_config=QUIET,
                tags=window_tags,
            )
        _report(result, echo, outcome)
    if outcome.ok:
        echo("building the dbt models and running their tests")
        # dbt's own log goes to a file; the lines printed here summarise it.
        with log_path.open("a") as log, _to_log(log, echo):
            result = materialize(
                [phone_numbers, wabas, warehouse_dbt_assets, *model_checks, serving_marts],
                resources=resources,
                instance=instance,
                raise_on_error=False,
                run_config=QUIET | _dbt_config(full_refresh),
                tags=window_tags,
            )
        _report(result, echo, outcome)
    for line in check_summary(outcome.checks):
        echo(line)
    outcome.seconds = time.monotonic() - started
    outcome.log_path = log_path
    return outcome
