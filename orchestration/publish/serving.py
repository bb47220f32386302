"""The read-only serving copy of the marts that analysts query while the next run writes.

DuckDB lets one process write a file and no other process open it meanwhile, so the
warehouse itself is unreadable during a run. After a successful run the marts are
published to a separate folder (`WA_SERVING_DIR`, default `serving/` beside the
warehouse):

- `serving.duckdb`: the tables under the same names (`marts.tabular_report`, ...), built
  under a temporary name and moved into place with one atomic rename; a view of the
  warehouse over another served table stays a view (VIEWS_OVER);
- `parquet/`: the same tables for tools that read Parquet, but for the facts that `tabular_report`
  holds (NOT_IN_PARQUET); `parquet` is a symlink to a versioned folder, swapped atomically too.
  The summaries and dimensions are one file each (`parquet/<table>.parquet`);
  `tabular_report` and `fct_conversations` are folders with one file per date
  (`parquet/<table>/partition_date=<date>/data_0.parquet`), so that a run rewrites only
  the dates its changed rows fall on and hard-links the others from the previous
  version. The files hold exactly the table's columns; `partition_date` lives in the
  folder name, and DuckDB, Spark and Arrow add it as a column when they read the folder.

A reader that opened the previous copy keeps reading it; the next reader gets the new
one. Nothing here runs unless the run's models and error-level checks passed.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import NamedTuple

import duckdb

from orchestration.warehouse import on_dates

# Published by two connections side by side, each chain in its order. The copy of the
# changed message rows is mostly one core's work (0.9 to 1.0 s on a day on top of 30
# days), which the conversations' copy and Parquet then share the machine with.
SERVED_CHAINS = (
    # The facts first: tabular_report is a view over them.
    ("fct_messages", "fct_message_charges", "tabular_report"),
    (
        "fct_conversations",
        "summary_messages",
        "summary_sessions",
        "summary_charges",
        "dim_phone_numbers",
        "dim_countries",
        "dim_wabas",
    ),
)
SERVED_TABLES = tuple(table for chain in SERVED_CHAINS for table in chain)
# Views in the warehouse over another served table: the copy keeps them as the same view
# rather than a second copy of the rows (1M rows: 1.3 s a run, and a file copy 40 %
# smaller). DuckDB stores a view's SQL relative to its own catalog, so the view reads the
# serving copy's table. Where the warehouse keeps the view differently (on Spark every
# mart is a view over Parquet), the rows are copied as before.
VIEWS_OVER = {"tabular_report": ("fct_messages", "fct_message_charges")}
# The loads' bookkeeping, copied whole into the copy's `raw` schema (small tables).
RAW_SERVED = ("quarantine", "load_ledger")
SERVING_DB = "serving.duckdb"  # not marts.duckdb: DuckDB names the catalog after the file
PARQUET_LINK = "parquet"


class BigTable(NamedTuple):
    """A served table kept up to date by key rather than copied whole."""

    key: str  # the column that identifies a row
    changed: str  # SQL: the row may have changed in the last build (the `changes` models)
    filed_by: str  # the timestamp column whose date files a row in its Parquet folder

    @property
    def date(self) -> str:
        """The date a row is filed under, as SQL."""
        return f"cast({self.filed_by} as date)"


# The rows dbt rewrote, as its `changes` models name them (models/changes/): the changed
# messages; the changed conversations and every conversation of a WABA-month whose free
# places were ranked again; every charge of a billing month ranked again.
CHANGED_MESSAGES = "source.changes.changed_messages"
CHANGED_CONVERSATIONS = "source.changes.changed_conversations"
CHANGED_WABA_MONTHS = "source.changes.changed_waba_months"
CHANGED_BILLING_MONTHS = "source.changes.changed_billing_months"
BIG_TABLES = {
    "fct_messages": BigTable(
        "message_id", f"message_id in (select message_id from {CHANGED_MESSAGES})", "created_at"
    ),
    "tabular_report": BigTable(
        "whatsapp_id",
        f"whatsapp_id in (select message_id from {CHANGED_MESSAGES})",
        "created_at",
    ),
    # Rebuilt by whole billing months (its allowances and tiers rank whole months).
    "fct_message_charges": BigTable(
        "message_id",
        f"billing_month in (select billing_month from {CHANGED_BILLING_MONTHS})",
        "created_at",
    ),
    "fct_conversations": BigTable(
        "conversation_id",
        f"conversation_id in (select conversation_id from {CHANGED_CONVERSATIONS})"
        " or (waba_id, opened_month) in"
        f" (select (waba_id, opened_month) from {CHANGED_WABA_MONTHS})",
        "opened_at",
    ),
}
# The message rows go to Parquet once, as the report's columns (`tabular_report`):
# `fct_messages` holds the same rows with the flags the summaries count, and is served in
# serving.duckdb. A second copy of them cost a day's run on top of 30 days 2.5 s (the 1.1M
# rows of its ten touched dates, written again).
NOT_IN_PARQUET = {"fct_messages", "fct_message_charges"}
PARTITION_COLUMN = "partition_date"
# A big table's dates are written one file each, by this many connections at once (one
# per core, at least two), in row groups of PARQUET_ROW_GROUP_ROWS. On 2 cores the 9
# touched dates of a day on top of 30 days (960k rows of `tabular_report`) took 0.57 to
# 0.61 s so, against 1.04 to 1.11 s for DuckDB's partitioned COPY of the same rows (which
# encodes every file from one ordered stream), and 0.87 s with one connection.
PARQUET_WRITERS = max(2, os.cpu_count() or 2)
PARQUET_ROW_GROUP_ROWS = 61_440
# The serving copy's row groups: half DuckDB's default, so that a day's changed message
# rows (121,811 on a day on top of 30 days, just under the default 122,880) fill whole
# row groups, which DuckDB writes straight to the file rather than through its
# write-ahead log and a checkpoint: their insert 0.45 -> 0.28 s.
SERVING_ROW_GROUP_ROWS = 61_440
SUCCESSFUL_BUILDS = "source.changes.successful_builds"  # in the warehouse, written by dbt
PUBLISHED_FROM = "publication.published_from"  # in the serving copy: which warehouse, and
# the watermark of the build it holds


def publish(warehouse: Path, serving_dir: Path) -> dict[str, int]:
    """Copy the served tables out of `warehouse`; return the rows per table.

    The big tables are copied whole the first time. After that, where the copy holds the
    build that the warehouse's last build started from, only their rows whose keys that
    build changed (the `changes` models) are copied: the new copy starts as a file copy
    of the previous one, those keys are deleted and copied again. Otherwise (a run that
    failed its checks published nothing in between, a `--full-refresh`, a build on
    Spark) they are copied whole. The summaries and dimensions, small, are copied whole
    every time."""
    serving_dir.mkdir(parents=True, exist_ok=True)
    version = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    temporary_db = serving_dir / f".serving-{version}.duckdb.tmp"
    parquet_dir = serving_dir / f"parquet-{version}"
    parquet_dir.mkdir()
    rows: dict[str, int] = {}
    try:
        with duckdb.connect() as conn:
            # Parallel writes; the served tables have no meaningful row order.
            conn.execute("set preserve_insertion_order = false")
            conn.execute(f"attach '{warehouse}' as source (read_only)")
            build = _last_build(conn)
            previous = serving_dir / SERVING_DB
            previous_parquet = (serving_dir / PARQUET_LINK).resolve()
            reuse = (
                build is not None
                and not build.is_full_refresh
                and build.changed_after is not None
                and _published_from(previous) == (str(warehouse), build.changed_after)
                and previous_parquet.is_dir()
            )
            if reuse:
                shutil.copyfile(previous, temporary_db)
            conn.execute(
                f"attach '{temporary_db}' as target (row_group_size {SERVING_ROW_GROUP_ROWS})"
            )
            conn.execute("create schema if not exists target.marts")
            conn.execute("create schema if not exists target.publication")
            with ThreadPoolExecutor(len(SERVED_CHAINS)) as pool:
                chains = [
                    pool.submit(
                        _publish_chain,
                        conn,
                        chain,
                        reuse,
                        parquet_dir,
                        previous_parquet if reuse else None,
                    )
                    for chain in SERVED_CHAINS
                ]
                for chain in chains:
                    rows.update(chain.result())
            # For data engineers: what the loads refused and how every file reconciled.
            conn.execute("create schema if not exists target.raw")
            for table in RAW_SERVED:
                conn.execute(
                    f"create or replace table target.raw.{table}"
                    f" as select * from source.raw.{table}"
                )
            conn.execute(
                f"create or replace table target.{PUBLISHED_FROM}"
                " as select ? as warehouse, cast(? as timestamp) as loaded_through",
                [str(warehouse), build.loaded_through if build else None],
            )
            conn.execute("detach target")
            conn.execute("detach source")
        os.replace(temporary_db, serving_dir / SERVING_DB)
        _swap_symlink(serving_dir / PARQUET_LINK, parquet_dir.name)
    except BaseException:
        temporary_db.unlink(missing_ok=True)
        shutil.rmtree(parquet_dir, ignore_errors=True)
        raise
    _remove_old_versions(serving_dir, keep=parquet_dir.name)
    return rows


def _publish_chain(
    conn: duckdb.DuckDBPyConnection,
    tables: tuple[str, ...],
    by_key: bool,
    parquet_dir: Path,
    previous_parquet: Path | None,
) -> dict[str, int]:
    """Publish `tables` in order on a connection of their own (a cursor of `conn`, which
    sees its attached databases); return the rows per table."""
    rows: dict[str, int] = {}
    dates_rewritten: dict[str, set[date | None] | None] = {}
    with conn.cursor() as cursor:
        for table in tables:
            if _recreate_view(cursor, table):
                # The same keys and dates as the table it reads.
                touched_dates = _union_of_dates(dates_rewritten[base] for base in VIEWS_OVER[table])
            else:
                touched_dates = _copy_table(cursor, table, by_key)
            dates_rewritten[table] = touched_dates
            _write_parquet(cursor, table, parquet_dir, previous_parquet, touched_dates)
            (rows[table],) = cursor.execute(f"select count(*) from target.marts.{table}").fetchone()
    return rows


class Build(NamedTuple):
    """The warehouse's last successful dbt build (models/changes/change_window.sql)."""

    loaded_through: object
    changed_after: object
    is_full_refresh: bool


def _last_build(conn: duckdb.DuckDBPyConnection) -> Build | None:
    """The last successful build of the attached warehouse; None where it records none
    (a warehouse built on Spark, or before its first build)."""
    (exists,) = conn.execute(
        "select count(*) from duckdb_tables() where database_name = 'source'"
        " and schema_name = 'changes' and table_name = 'successful_builds'"
    ).fetchone()
    if not exists:
        return None
    row = conn.execute(
        f"select loaded_through, changed_after, is_full_refresh from {SUCCESSFUL_BUILDS}"
        " order by finished_at desc limit 1"
    ).fetchone()
    return Build(*row) if row else None


def _published_from(serving_db: Path) -> tuple[str, object] | None:
    """The warehouse a serving copy was published from, and the watermark of the build
    it holds (None: no usable copy)."""
    if not serving_db.exists():
        return None
    try:
        with duckdb.connect(str(serving_db), read_only=True) as conn:
            return conn.execute(
                f"select warehouse, loaded_through from {PUBLISHED_FROM}"
            ).fetchone()
    except duckdb.Error:
        return None


def _copy_table(
    conn: duckdb.DuckDBPyConnection, table: str, by_key: bool
) -> set[date | None] | None:
    """Bring target.marts.<table> level with the warehouse: where `by_key` and the table
    is big, only the rows that differ among those the last build may have changed (a
    WABA-month ranked again rewrites few of its conversations), else all. Returns the
    Parquet dates those rows were and are filed under (None: copied whole)."""
    big = BIG_TABLES.get(table)
    if by_key and big is not None:
        old = f"select * from target.marts.{table} where {big.changed}"
        new = f"select * from source.marts.{table} where {big.changed}"
        conn.execute(f"create or replace temp table leaving as {old} except {new}")
        conn.execute(f"create or replace temp table arriving as {new} except {old}")
        conn.execute(
            f"delete from target.marts.{table} where {big.key} in (select {big.key} from leaving)"
        )
        conn.execute(f"insert into target.marts.{table} select * from arriving")
        touched = conn.execute(
            f"select {big.date} from leaving union select {big.date} from arriving"
        ).fetchall()
        conn.execute("drop table leaving")
        conn.execute("drop table arriving")
        return {day for (day,) in touched}
    conn.execute(
        f"create or replace table target.marts.{table} as select * from source.marts.{table}"
    )
    return None


def _marts_table_types(
    conn: duckdb.DuckDBPyConnection, catalog: str, *tables: str
) -> dict[str, str]:
    """The type (`BASE TABLE` or `VIEW`) of each of `tables` that `catalog`'s `marts`
    schema holds."""
    return dict(
        conn.execute(
            "select table_name, table_type from information_schema.tables"
            " where table_catalog = ? and table_schema = 'marts'"
            " and table_name in (select unnest(cast(? as varchar[])))",
            [catalog, list(tables)],
        ).fetchall()
    )


def _union_of_dates(
    parts: Iterable[set[date | None] | None],
) -> set[date | None] | None:
    """The dates any of `parts` rewrote (None, every date, where one was copied whole)."""
    union: set[date | None] = set()
    for part in parts:
        if part is None:
            return None
        union |= part
    return union


def _recreate_view(conn: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Define target.marts.<table> as the warehouse's view over a stored served table
    (VIEWS_OVER), replacing what the previous copy had; False where the warehouse does
    not keep it so, or the view reads something the copy does not hold."""
    bases = VIEWS_OVER.get(table)
    if bases is None:
        return False
    kinds = _marts_table_types(conn, "source", table, *bases)
    if kinds.get(table) != "VIEW" or any(kinds.get(base) != "BASE TABLE" for base in bases):
        return False
    (definition,) = conn.execute(
        "select sql from duckdb_views() where database_name = 'source'"
        " and schema_name = 'marts' and view_name = ?",
        [table],
    ).fetchone()
    conn.execute("begin transaction")
    try:
        previous = _marts_table_types(conn, "target", table).get(table)
        if previous:
            kind = "view" if previous == "VIEW" else "table"
            conn.execute(f"drop {kind} target.marts.{table}")
        conn.execute("use target")
        conn.execute(definition)  # `create view marts.<table> as ...`, bound in target
        conn.execute("commit")
    except duckdb.CatalogException:
        conn.execute("rollback")
        return False
    finally:
        conn.execute("use memory")
    return True


def _write_parquet(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    parquet_dir: Path,
    previous_dir: Path | None,
    touched_dates: set[date | None] | None,
) -> None:
    """The table's Parquet: a folder by date for a big table, one file for the others,
    none for the tables in NOT_IN_PARQUET."""
    if table in NOT_IN_PARQUET:
        return
    if table in BIG_TABLES:
        _write_parquet_folder(conn, table, parquet_dir, previous_dir, touched_dates)
        return
    conn.execute(f"copy target.marts.{table} to '{parquet_dir / table}.parquet' (format parquet)")


def _partition_folder(day: date | None) -> str:
    """A date's folder, named as Hive partitioning (DuckDB, Spark, Arrow) reads it."""
    return f"{PARTITION_COLUMN}={day.isoformat() if day else '__HIVE_DEFAULT_PARTITION__'}"


def _write_parquet_folder(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    parquet_dir: Path,
    previous_dir: Path | None,
    touched_dates: set[date | None] | None,
) -> None:
    """`parquet_dir/<table>/`, one folder per date: the dates in `touched_dates` written
    from the serving table, every other date hard-linked from `previous_dir` (a file is
    never changed in place, so both versions share it safely). Written whole where there
    is no previous version or the table was copied whole. A touched date that no row is
    filed under any more is left out, as it is from a whole write."""
    folder = parquet_dir / table
    folder.mkdir(parents=True)
    big = BIG_TABLES[table]
    previous_folder = previous_dir / table if previous_dir else None
    condition, params = "true", []
    if touched_dates is not None and previous_folder and previous_folder.is_dir():
        rewritten = {_partition_folder(day) for day in touched_dates}
        for kept in previous_folder.iterdir():
            if kept.name not in rewritten:
                (folder / kept.name).mkdir()
                for file in kept.iterdir():
                    os.link(file, folder / kept.name / file.name)
        if not touched_dates:
            return
        dated = sorted(day for day in touched_dates if day is not None)
        condition = f"{on_dates(big.filed_by, dated)} or ({big.filed_by} is null and ?)"
        params = [None in touched_dates]
    days = [
        day
        for (day,) in conn.execute(
            f"select distinct {big.date} from target.marts.{table} where {condition}", params
        ).fetchall()
    ]
    _write_dates(conn, table, folder, days)


def _write_dates(
    conn: duckdb.DuckDBPyConnection, table: str, folder: Path, days: list[date | None]
) -> None:
    """One Parquet file per date of `days`, each written by one of PARQUET_WRITERS
    connections (cursors of `conn`, which see its attached serving copy)."""
    big = BIG_TABLES[table]
    pending = sorted(days, key=lambda day: day or date.min)

    def write_pending() -> None:
        with conn.cursor() as cursor:
            while True:
                try:
                    day = pending.pop()  # atomic: the writers share the list
                except IndexError:
                    return
                filed_on_day = (
                    f"{big.filed_by} is null" if day is None else on_dates(big.filed_by, [day])
                )
                day_folder = folder / _partition_folder(day)
                day_folder.mkdir()
                cursor.execute(
                    f"copy (select * from target.marts.{table} where {filed_on_day})"
                    f" to '{day_folder / 'data_0.parquet'}'"
                    f" (format parquet, row_group_size {PARQUET_ROW_GROUP_ROWS})"
                )

    writers = min(PARQUET_WRITERS, len(pending))
    with ThreadPoolExecutor(max(writers, 1)) as pool:
        for writer in [pool.submit(write_pending) for _ in range(writers)]:
            writer.result()


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
    the catalog name dbt compiles refs to; `use` makes plain `marts.tabular_report` work,
    and the search path `tabular_report` or `quarantine` alone.

    Then it is locked: no file can be read or written (`copy`, `read_csv`, `read_text`),
    no database attached (so the warehouse cannot be reached), no extension installed or
    loaded, and no setting changed back. A query can only read the copy's tables."""
    conn = duckdb.connect()
    try:
        conn.execute(f"attach '{serving_db}' as warehouse (read_only)")
        conn.execute("use warehouse")
        # `show tables` lists the reports and the loads' tables; either may be named
        # without its schema.
        conn.execute("set search_path = 'warehouse.marts,warehouse.raw,warehouse.main'")
        conn.execute("set enable_external_access = false")
        conn.execute("set autoload_known_extensions = false")
        conn.execute("set autoinstall_known_extensions = false")
        conn.execute("set lock_configuration = true")
    except BaseException:
        conn.close()
        raise
    return conn
