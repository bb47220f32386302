"""The DuckDB warehouse file: connecting to it (with the memory limit), date and WABA
filters over its report tables, and the failures of its environment (another process
holds it, a full disk) told apart from a model's."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb


def memory_settings(warehouse: Path, memory_limit: str | None) -> dict[str, str]:
    """DuckDB's memory limit (`Settings.memory_limit`, e.g. `3GB`; None: DuckDB's own, 80 %
    of the machine's memory), with what does not fit spilled beside the warehouse. The
    loader's connection and dbt's (orchestration/dbt/warehouse_plugin.py) both take it."""
    if not memory_limit:
        return {}
    return {"memory_limit": memory_limit, "temp_directory": f"{warehouse}.tmp"}


def connect(
    path: Path, read_only: bool = False, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    if read_only:
        return duckdb.connect(str(path), read_only=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), config=memory_settings(path, memory_limit))


def date_range_filter(
    column: str, date_from: str | None, date_to: str | None, waba_id: str | None = None
) -> tuple[list[str], list[str]]:
    """SQL conditions and parameters keeping `column` within [date_from, date_to], and
    the rows of one WABA when `waba_id` is given (the selection of export and report)."""
    conditions, params = [], []
    if date_from:
        conditions.append(f"{column} >= cast(? as date)")
        params.append(date_from)
    if date_to:
        conditions.append(f"{column} <= cast(? as date)")
        params.append(date_to)
    if waba_id:
        conditions.append("waba_id = ?")
        params.append(waba_id)
    return conditions, params


def on_dates(column: str, dates: list[date] | None) -> str:
    """A SQL predicate: `column` (a date or timestamp) falls on one of `dates` (None:
    any). The bounds on the column itself let DuckDB skip other dates' row groups."""
    if dates is None:
        return "true"
    if not dates:
        return "false"
    days = ", ".join(f"date '{day.isoformat()}'" for day in dates)
    return (
        f"{column} >= date '{dates[0].isoformat()}'"
        f" and {column} < date '{(dates[-1] + timedelta(days=1)).isoformat()}'"
        f" and cast({column} as date) in ({days})"
    )


# Failures the environment causes to whatever opens or writes the warehouse, recognised
# by the error's text, and what to do about each: one line each, instead of a stack
# trace (the CLI's lock check before a run, and the run's own failures).
ENVIRONMENT_FAILURES = (
    (
        "Could not set lock on file",
        "another run holds the warehouse: wait for it to finish, or run through Dagster "
        "(`make dev`), whose pool runs one at a time",
    ),
    (
        "No space left on device",
        "No space left on device (the warehouse's disk): free some space, then run again",
    ),
    (
        "Disk quota exceeded",
        "Disk quota exceeded (the warehouse's folder): free some space, then run again",
    ),
)


def environment_failure(message: str) -> str | None:
    """What to do about a failure the environment caused (None: not one of those)."""
    return next((advice for text, advice in ENVIRONMENT_FAILURES if text in message), None)
