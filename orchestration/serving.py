"""The read-only serving copy of the marts that analysts query while the next run writes.

DuckDB lets one process write a file and no other process open it meanwhile, so the
warehouse itself is unreadable during a run. After a successful run the marts are
published to a separate folder (`WA_SERVING_DIR`, default `serving/` beside the
warehouse):

- `serving.duckdb`: the tables under the same names (`marts.tabular_report`, ...), built
  under a temporary name and moved into place with one atomic rename;
- `parquet/<table>.parquet`: the same tables for tools that read Parquet; `parquet` is a
  symlink to a versioned folder, swapped atomically too.

A reader that opened the previous copy keeps reading it; the next reader gets the new
one. Nothing here runs unless the run's models and error-level checks passed.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import duckdb

SERVED_TABLES = (
    "tabular_report",
    "summary_messages",
    "summary_sessions",
    "fct_messages",
    "fct_conversations",
    "dim_phone_numbers",
    "dim_countries",
)
SERVING_DB = "serving.duckdb"  # not marts.duckdb: DuckDB names the catalog after the file
PARQUET_LINK = "parquet"


def publish(warehouse: Path, serving_dir: Path) -> dict[str, int]:
    """Copy the served tables out of `warehouse`; return the rows per table."""
    serving_dir.mkdir(parents=True, exist_ok=True)
    version = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    temporary_db = serving_dir / f".serving-{version}.duckdb.tmp"
    parquet_dir = serving_dir / f"parquet-{version}"
    parquet_dir.mkdir()
    rows: dict[str, int] = {}
    try:
        with duckdb.connect(str(temporary_db)) as conn:
            conn.execute(f"attach '{warehouse}' as source (read_only)")
            conn.execute("create schema marts")
            for table in SERVED_TABLES:
                conn.execute(f"create table marts.{table} as select * from source.marts.{table}")
                conn.execute(
                    f"copy marts.{table} to '{parquet_dir / table}.parquet' (format parquet)"
                )
                (rows[table],) = conn.execute(f"select count(*) from marts.{table}").fetchone()
            conn.execute("detach source")
        os.replace(temporary_db, serving_dir / SERVING_DB)
        _swap_symlink(serving_dir / PARQUET_LINK, parquet_dir.name)
    except BaseException:
        temporary_db.unlink(missing_ok=True)
        shutil.rmtree(parquet_dir, ignore_errors=True)
        raise
    _remove_old_versions(serving_dir, keep=parquet_dir.name)
    return rows


def _swap_symlink(link: Path, target: str) -> None:
    staged = link.with_name(f".{link.name}.new")
    staged.unlink(missing_ok=True)
    staged.symlink_to(target)
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)
    os.replace(staged, link)


def _remove_old_versions(serving_dir: Path, keep: str) -> None:
    for folder in serving_dir.glob("parquet-*"):
        if folder.name != keep:
            shutil.rmtree(folder, ignore_errors=True)


def connect_read_only(serving_db: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with the serving copy attached read-only as `warehouse`,
    the catalog name dbt compiles refs to; `use` makes plain `marts.tabular_report` work."""
    conn = duckdb.connect()
    conn.execute(f"attach '{serving_db}' as warehouse (read_only)")
    conn.execute("use warehouse")
    return conn
