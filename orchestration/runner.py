"""Materialize the whole asset graph in-process, as `wa-reports run` does.

The assets and checks are the code location's (`definitions.build_definitions`), with
the command's settings. Two Dagster runs: the daily raw loads over the partition range
found in the landing zone (one run, thanks to the single-run backfill policy), then
everything else (the registries, the dbt build with its tests, the serving copy). Each
prints one line per asset or model. The runs are recorded in the Dagster instance that
`make dev` shows (`Settings.dagster_home`), with their checks.
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
from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    DagsterInstance,
    DagsterRunStatus,
    RunsFilter,
    materialize,
)

from orchestration.ingest import landing
from orchestration.ingest.sinks import ParquetSink
from orchestration.partitions import RANGE_END_TAG, RANGE_START_TAG
from orchestration.settings import PROJECT_ROOT, Settings
from orchestration.warehouse import environment_failure

# The process that started a CLI run: a run left "started" by a process that died
# (killed, the machine restarted) is marked failed by the next run, and its pool slot
# freed, so it never blocks the pool.
PID_TAG = "wa-reports/pid"

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


def prepare_dagster_home(settings: Settings) -> Path:
    """The folder of the Dagster instance `wa-reports run` and `make dev` share, holding
    the project's instance settings (`orchestration/dagster.yaml`: one warehouse step at
    a time), written when missing or changed."""
    home = settings.dagster_home
    config = home / "dagster.yaml"
    wanted = (PROJECT_ROOT / "orchestration" / "dagster.yaml").read_text()
    if not config.exists() or config.read_text() != wanted:
        home.mkdir(parents=True, exist_ok=True)
        config.write_text(wanted)
    return home


def dagster_instance(settings: Settings) -> DagsterInstance:
    """The Dagster instance of this data folder, shared with `make dev`; with
    `record_runs` off, a throw-away one in memory."""
    if not settings.record_runs:
        return DagsterInstance.ephemeral()
    return DagsterInstance.from_config(str(prepare_dagster_home(settings)))


def end_orphaned_runs(instance: DagsterInstance) -> None:
    """Mark failed the CLI runs whose process is gone, and free their pool slots."""
    started = instance.get_runs(
        RunsFilter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING])
    )
    for run in started:
        pid = run.tags.get(PID_TAG)
        if pid is None or _alive(int(pid)):
            continue
        instance.report_run_failed(run, f"its process ({pid}) ended before the run did")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # a process of another user: alive
    return True


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
    from orchestration.definitions import build_definitions

    # Dagster, dbt and GX leave millions of long-lived objects: moved out of the
    # collector's reach, every full collection (here, in the forked parse workers and
    # at exit) stops walking them.
    gc.freeze()
    started = time.monotonic()
    log_path = settings.warehouse.parent / "logs" / "last_run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    defs = build_definitions(settings)
    assets = [*defs.assets, *defs.asset_checks]
    daily = AssetSelection.assets(
        *(
            key
            for a in defs.assets
            if isinstance(a, AssetsDefinition) and a.partitions_def
            for key in a.keys
        )
    )
    executable = AssetSelection.assets(
        *(key for a in defs.assets if isinstance(a, AssetsDefinition) for key in a.keys)
    )
    resources = defs.resources
    instance = dagster_instance(settings)
    end_orphaned_runs(instance)
    partitions = select_partitions(settings, dt_from, dt_to)
    outcome = RunOutcome(partitions)
    unknown = landing.unknown_paths(settings.landing_dir)
    if unknown:
        shown = ", ".join(unknown[:5]) + (
            f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        )
        echo(f"skipped {len(unknown)} paths the landing layout does not know: {shown}")
    window_tags = {PID_TAG: str(os.getpid())} | (
        {RANGE_START_TAG: partitions[0], RANGE_END_TAG: partitions[-1]} if partitions else {}
    )
    if partitions:
        echo(f"loading {len(partitions)} partitions {partitions[0]} .. {partitions[-1]}")
        with log_path.open("w") as log, _to_log(log, echo):
            result = materialize(
                assets,
                selection=daily,
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
                assets,
                selection=executable - daily,
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
