"""The DuckDB warehouse file: connecting to it and the `raw` schema the loaders own.

dbt owns every other schema (staging, intermediate, marts); the raw tables are
created here because they are written by Python, not by dbt.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import duckdb

RAW_DDL = """
create schema if not exists raw;
create table if not exists raw.api_logs (
    dt date not null,
    source_file varchar not null,
    line_number integer not null,
    received_at timestamp not null,
    raw_line varchar not null using compression zstd,
    loaded_at timestamp not null
);
create table if not exists raw.webhook_logs (
    dt date not null,
    source_file varchar not null,
    line_number integer not null,
    received_at timestamp not null,
    raw_line varchar not null using compression zstd,
    loaded_at timestamp not null
);
create table if not exists raw.phone_numbers (
    source_file varchar not null,
    line_number integer not null,
    waba_id varchar not null,
    phone_number varchar not null,
    phone_number_id varchar,
    display_name varchar,
    updated_at timestamp not null,
    raw_line varchar not null,
    loaded_at timestamp not null
);
create table if not exists raw.wabas (
    source_file varchar not null,
    line_number integer not null,
    waba_id varchar not null,
    business_portfolio_id varchar,
    name varchar,
    timezone varchar not null,
    currency varchar not null,
    updated_at timestamp not null,
    raw_line varchar not null,
    loaded_at timestamp not null
);
create table if not exists raw.quarantine (
    source varchar not null,
    dt date,
    source_file varchar not null,
    line_number integer not null,
    reason varchar not null,
    raw_line varchar not null,
    loaded_at timestamp not null
);
create table if not exists raw.load_ledger (
    source varchar not null,
    dt date,
    source_file varchar not null,
    file_bytes bigint not null,
    file_mtime_ns bigint not null,
    lines_read integer not null,
    lines_loaded integer not null,
    lines_quarantined integer not null,
    lines_blank integer not null default 0,
    read_error varchar,
    rules_version integer,
    loaded_at timestamp not null
);
-- Ledgers of warehouses loaded before blank lines and damaged files were recorded.
alter table raw.load_ledger add column if not exists lines_blank integer default 0;
alter table raw.load_ledger add column if not exists read_error varchar;
alter table raw.load_ledger add column if not exists rules_version integer;
"""


def memory_settings(warehouse: Path) -> dict[str, str]:
    """DuckDB's memory limit from `WA_MEMORY_LIMIT` (e.g. `3GB`; unset: DuckDB's own, 80 %
    of the machine's memory), with what does not fit spilled beside the warehouse. The
    loader's connection and dbt's (orchestration/dbt_warehouse_plugin.py) both take it."""
    limit = os.environ.get("WA_MEMORY_LIMIT", "").strip()
    if not limit:
        return {}
    return {"memory_limit": limit, "temp_directory": f"{warehouse}.tmp"}


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if read_only:
        return duckdb.connect(str(path), read_only=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), config=memory_settings(path))


def ensure_raw_schema(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(RAW_DDL)


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
