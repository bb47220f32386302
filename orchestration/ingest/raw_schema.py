"""The `raw` schema the loaders own: the log tables, the registries, the quarantine and the
ledger.

dbt owns every other schema (staging, changes, intermediate, marts); the raw tables are
created here because they are written by Python, not by dbt.
"""

from __future__ import annotations

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


def ensure_raw_schema(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(RAW_DDL)
