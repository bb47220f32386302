"""Where the loader writes: one loader, two sinks, chosen by the engine.

- `DuckDBSink`: the `raw` schema of the warehouse file. A partition is replaced in one
  transaction.
- `ParquetSink` (Spark): Parquet files under `<lake>/raw/<table>/dt=<dt>/`, the layout
  Spark reads as a table partitioned by `dt` (the `dt` value lives in the folder name,
  not in the file). Each partition of each source is one file per table, written under
  a hidden temporary name and renamed into place, so a reader sees the old file or the
  new one. The ledger file is renamed last: a load that dies half-way has no ledger
  entry and is redone by the next run.

Both sinks take rows typed by the same DDL (`raw_schema.RAW_DDL`).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from orchestration.ingest import lake
from orchestration.ingest.raw_schema import ensure_raw_schema

# (source_file, file_bytes, file_mtime_ns, rules_version): what a load read, and under
# which version of the validation rules (ingest/load.py, RULES_VERSION).
Fingerprint = tuple[str, int, int, int | None]


@dataclass
class GoodLines:
    """The loaded lines of one log file, packed as one Arrow table (line_number,
    received_at, raw_line): a parse worker hands it over as a few buffers (`spill`) and
    DuckDB scans it without a Python object per line (a pandas frame of strings cost about 3 us a
    line in the single writing process). The parser appends to the three lists
    directly (no method call per line); `packed` joins the lines' bytes into one buffer
    beside their end offsets, so there is no conversion per line either."""

    source_file: str
    table: pa.Table | None = None
    numbers: list[int] = field(default_factory=list)
    received_at: list[datetime] = field(default_factory=list)
    lines: list[bytes] = field(default_factory=list)  # valid UTF-8, line ending removed
    spilled: str | None = None  # the Arrow file that holds `table` on its way (`spill`)

    def packed(self) -> GoodLines:
        count = len(self.lines)
        offsets = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, self.lines), dtype=np.int64, count=count), out=offsets[1:])
        raw_line = pa.LargeStringArray.from_buffers(
            count, pa.py_buffer(offsets), pa.py_buffer(b"".join(self.lines))
        )
        self.table = pa.table(
            {
                "line_number": pa.array(self.numbers, type=pa.int64()),
                "received_at": pa.array(self.received_at, type=pa.timestamp("us")),
                "raw_line": raw_line,
            }
        )
        self.numbers, self.received_at, self.lines = [], [], []
        return self

    def spill(self, folder: Path) -> GoodLines:
        """Move the table into an Arrow file in `folder` (shared memory when there is
        some), for the writing process to map rather than receive through the worker
        pool's pipe: a pickle copies a partition's 125 MB of lines three times, in the
        single writing process that is the loader's bottleneck."""
        path = folder / f"{uuid.uuid4().hex}.arrow"
        try:
            with pa.OSFile(str(path), "wb") as out, pa.ipc.new_file(out, self.table.schema) as file:
                file.write_table(self.table)
        except OSError:
            # No room (a container's /dev/shm is often 64 MB): the table goes by pipe.
            path.unlink(missing_ok=True)
            return self
        self.table, self.spilled = None, str(path)
        return self

    def unspill(self) -> GoodLines:
        """Map the spilled table back (no copy); the file goes at once, the mapping stays
        valid as long as the table lives."""
        if self.spilled:
            self.table = pa.ipc.open_file(pa.memory_map(self.spilled)).read_all()
            os.unlink(self.spilled)
            self.spilled = None
        return self


class RawSink(Protocol):
    def ledger(self, source: str, dt: str | None) -> list[Fingerprint]:
        """The files the last load of this partition read, sorted by file."""

    def loaded_partitions(self, source: str) -> list[str]:
        """The partitions (dt, ISO) of `source` that the ledger holds."""

    def replace_partition(
        self,
        source: str,
        dt: str | None,
        table: str,
        rows: pd.DataFrame | list[GoodLines],
        quarantine: pd.DataFrame,
        ledger: pd.DataFrame,
        loaded_at: datetime,
    ) -> None:
        """Replace everything the partition loaded before with these rows (a frame of
        typed rows, or the good lines of each log file)."""


LEDGER_QUERY = (
    "select source_file, file_bytes, file_mtime_ns, rules_version from raw.load_ledger "
    "where source = ? and dt is not distinct from ? order by source_file"
)


def _append(conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if len(frame):
        conn.register("incoming_frame", frame)
        conn.execute(f"insert into raw.{table} by name select * from incoming_frame")
        conn.unregister("incoming_frame")


def _append_lines(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    dt: date,
    loaded_at: datetime,
    files: list[GoodLines],
) -> None:
    for lines in files:
        if lines.table is None or not lines.table.num_rows:
            continue
        conn.register("incoming_lines", lines.table)
        conn.execute(
            f"""
            insert into raw.{table}
                (dt, source_file, line_number, received_at, raw_line, loaded_at)
            select ?, ?, line_number, received_at, raw_line, ? from incoming_lines""",
            [dt, lines.source_file, loaded_at],
        )
        conn.unregister("incoming_lines")


def _append_rows(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    dt: date | None,
    loaded_at: datetime,
    rows: pd.DataFrame | list[GoodLines],
) -> None:
    if isinstance(rows, pd.DataFrame):
        _append(conn, table, rows)
    else:
        _append_lines(conn, table, dt, loaded_at, rows)


class DuckDBSink:
    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn
        # The parse workers keep every core busy; a second DuckDB thread for the writes
        # only adds contention (about a fifth more CPU per partition written).
        conn.execute("set threads = 1")
        # DuckDB writes a partition of fewer rows than a row group (122,880: an API
        # partition of 75k lines) through its WAL, and by default checkpoints whenever the
        # WAL passes 16 MB: that is, after nearly every such partition, each time
        # recompressing the table's last, growing row group (0.1 to 1.1 s a commit on the
        # 10-day bench). A partition's commit is still durable in the WAL; the rows go
        # into the file once, at the checkpoint after the load (`WarehouseResource.
        # raw_sink`) or when the WAL reaches this size. API loads of 1M messages: 5.2 s
        # -> 2.7 s plus a 1.2 s checkpoint.
        conn.execute("set checkpoint_threshold = '1GB'")
        ensure_raw_schema(conn)

    def ledger(self, source: str, dt: str | None) -> list[Fingerprint]:
        dt_value = date.fromisoformat(dt) if dt else None
        return self.conn.execute(LEDGER_QUERY, [source, dt_value]).fetchall()

    def loaded_partitions(self, source: str) -> list[str]:
        rows = self.conn.execute(
            "select distinct dt from raw.load_ledger where source = ? and dt is not null",
            [source],
        ).fetchall()
        return sorted(dt.isoformat() for (dt,) in rows)

    def replace_partition(self, source, dt, table, rows, quarantine, ledger, loaded_at) -> None:
        conn = self.conn
        dt_value = date.fromisoformat(dt) if dt else None
        same_partition = "source = ? and dt is not distinct from ?"
        conn.execute("begin transaction")
        try:
            if dt_value is None:
                conn.execute(f"delete from raw.{table}")
            else:
                conn.execute(f"delete from raw.{table} where dt = ?", [dt_value])
            conn.execute(f"delete from raw.quarantine where {same_partition}", [source, dt_value])
            conn.execute(f"delete from raw.load_ledger where {same_partition}", [source, dt_value])
            _append_rows(conn, table, dt_value, loaded_at, rows)
            _append(conn, "quarantine", quarantine)
            _append(conn, "load_ledger", ledger)
            conn.execute("commit")
        except Exception:
            # A failed commit (a full disk) leaves no transaction to roll back: the error
            # that matters is the first one, never "cannot rollback".
            with contextlib.suppress(duckdb.Error):
                conn.execute("rollback")
            raise


class ParquetSink:
    def __init__(self, lake_dir: Path) -> None:
        self.lake_dir = lake_dir
        # Typed staging tables (the same DDL as the DuckDB sink) that the frames pass
        # through on their way to Parquet.
        self.conn = duckdb.connect()
        ensure_raw_schema(self.conn)

    def ledger(self, source: str, dt: str | None) -> list[Fingerprint]:
        path = lake.raw_file(self.lake_dir, "load_ledger", dt, source)
        if not path.exists():
            return []
        # A ledger file written before the rules were versioned has no such column.
        columns = self.conn.read_parquet(str(path)).columns
        version = "rules_version" if "rules_version" in columns else "null"
        return self.conn.execute(
            f"select source_file, file_bytes, file_mtime_ns, {version} from read_parquet(?) "
            "order by source_file",
            [str(path)],
        ).fetchall()

    def loaded_partitions(self, source: str) -> list[str]:
        ledger_dir = self.lake_dir / "raw" / "load_ledger"
        if not ledger_dir.is_dir():
            return []
        return sorted(
            folder.name.removeprefix("dt=")
            for folder in ledger_dir.glob("dt=*")
            if (folder / f"{source}.parquet").exists()
            and folder.name != f"dt={lake.NULL_PARTITION}"
        )

    def replace_partition(self, source, dt, table, rows, quarantine, ledger, loaded_at) -> None:
        # The data table's file is named after the table: one source per table.
        self._write(table, dt, table, rows, loaded_at)
        self._write("quarantine", dt, source, quarantine, loaded_at)
        self._write("load_ledger", dt, source, ledger, loaded_at)

    def _write(
        self,
        table: str,
        dt: str | None,
        name: str,
        rows: pd.DataFrame | list[GoodLines],
        loaded_at: datetime,
    ) -> None:
        conn = self.conn
        conn.execute(f"delete from raw.{table}")
        _append_rows(conn, table, date.fromisoformat(dt) if dt else None, loaded_at, rows)
        target = lake.raw_file(self.lake_dir, table, dt, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        # The dt of a partitioned table lives in its folder name, not in the file.
        columns = "*" if table in lake.UNPARTITIONED else "* exclude (dt)"
        conn.execute(f"copy (select {columns} from raw.{table}) to '{staged}' (format parquet)")
        os.replace(staged, target)
