"""Load landing files into the `raw` schema (R26-R28).

A partition (`source`, `dt`) is the unit of loading. Loading it replaces every row it
loaded before, at once (ingest/sinks.py: one transaction on DuckDB, renamed files in
the Spark lake), so a rerun changes nothing and a file that arrived
late in an already loaded folder is picked up. A partition whose files have not
changed since the last load (same names, sizes and modification times) is skipped.

Every line read ends in exactly one place: its raw table, `raw.quarantine`, or the count
of blank lines, and the ledger records per file that lines read = lines loaded + lines
quarantined + blank lines (R27). A file that cannot be read to its end keeps the lines
before the damage, and the ledger names the damage (`read_error`) for an error-level
check (R26).
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import re
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from orchestration.ingest import landing
from orchestration.ingest.sinks import GoodLines, RawSink
from orchestration.ingest.validate import (
    Invalid,
    known_time_zone,
    latest_received_at,
    parse_iso_utc,
    validate_api_line,
    validate_webhook_line,
)
from orchestration.settings import default_load_workers

VALIDATORS: dict[str, Callable[[Any], datetime]] = {
    "api_logs": validate_api_line,
    "webhook_logs": validate_webhook_line,
}
PHONE_NUMBER_COLUMNS = ["waba_id", "phone_number", "phone_number_id", "display_name", "updated_at"]
WABA_COLUMNS = ["waba_id", "business_portfolio_id", "name", "timezone", "currency", "updated_at"]
MAX_RAW_CHARS = 10_000  # a quarantined line longer than this is kept truncated
# The version of the validation rules (ingest/validate.py, the registry's parsing here).
# The ledger records it per file; a partition loaded under another version is loaded
# again, even when its files did not change, so that lines the old rules refused (or
# took) are judged by the new ones. Raise it with every change to what a line may be.
# 2: plausible times, message_id identity, business-scoped users, group statuses, only
# field `messages`, blank lines, BOM, RFC 4180 registry records.
# 3: tier announcements (`account_update`), the `wabas` registry.
RULES_VERSION = 3
# Workers are forked: they only read files and return rows, and fork needs no
# re-import of the caller's main module (which a pytest-xdist worker does not have).
_FORK = multiprocessing.get_context("fork")


@dataclass
class FileLoad:
    source_file: str
    file_bytes: int
    file_mtime_ns: int
    lines_read: int = 0
    lines_loaded: int = 0
    lines_quarantined: int = 0
    lines_blank: int = 0  # counted, not stored (R26)
    read_error: str | None = None  # what stopped the reading of a damaged file (R26)


@dataclass
class LoadResult:
    source: str
    dt: str | None
    files: list[FileLoad] = field(default_factory=list)
    skipped: bool = False

    @property
    def lines_read(self) -> int:
        return sum(f.lines_read for f in self.files)

    @property
    def lines_loaded(self) -> int:
        return sum(f.lines_loaded for f in self.files)

    @property
    def lines_quarantined(self) -> int:
        return sum(f.lines_quarantined for f in self.files)

    @property
    def lines_blank(self) -> int:
        return sum(f.lines_blank for f in self.files)

    @property
    def damaged_files(self) -> list[str]:
        return [f.source_file for f in self.files if f.read_error]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _fingerprint(landing_dir: Path, paths: list[Path]) -> list[FileLoad]:
    loads = []
    for path in paths:
        stat = path.stat()
        loads.append(
            FileLoad(path.relative_to(landing_dir).as_posix(), stat.st_size, stat.st_mtime_ns)
        )
    return loads


def _unchanged(sink: RawSink, source: str, dt: str | None, files: list[FileLoad]) -> bool:
    rows = sink.ledger(source, dt)
    current = sorted((f.source_file, f.file_bytes, f.file_mtime_ns, RULES_VERSION) for f in files)
    return bool(rows) and rows == current


def _decode(raw: bytes) -> tuple[str, str | None]:
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace"), "line is not valid UTF-8"


def _parse_log_file(
    path: Path,
    validator: Callable[[Any], datetime],
    latest: datetime,
    load: FileLoad,
    good: GoodLines,
    bad: list[tuple],
) -> None:
    """Validate each line of one file; `latest` is the latest plausible `received_at` of
    its partition (R26)."""
    # The loop runs once per landing line (2.9M for 1M messages): names are bound
    # locally, and the counts are taken from the lists at the end, not kept per line.
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    add_number, add_time, add_line = good.numbers.append, good.received_at.append, good.lines.append
    loaded_before, refused_before = len(good.lines), len(bad)
    lines = landing.read_lines(path)
    number = blank = 0
    for number, raw in enumerate(lines, start=1):
        if not raw:  # an empty line costs no parse (a gzip of millions of them, R26)
            blank += 1
            continue
        # orjson refuses invalid UTF-8 and blank lines itself: a good line is never
        # decoded to text, only a refused one is, to name its reason and keep it.
        try:
            received_at = validator(loads(raw))
        except decode_error as exc:
            text, reason = _decode(raw)
            if reason is None:
                if not text.strip():
                    blank += 1  # counted, not quarantined one by one
                    continue
                reason = f"invalid JSON: {exc}"
        except Invalid as exc:
            text, reason = _decode(raw)[0], str(exc)
        else:
            if received_at < latest:
                add_number(number)
                add_time(received_at)
                add_line(raw)
                continue
            text = _decode(raw)[0]
            reason = f"received_at {received_at:%Y-%m-%d} is more than a day after its dt"
        bad.append((load.source_file, number, reason, text[:MAX_RAW_CHARS]))
    load.read_error = lines.damage
    load.lines_read += number
    load.lines_blank += blank
    load.lines_loaded += len(good.lines) - loaded_before
    load.lines_quarantined += len(bad) - refused_before


def _replace_partition(
    sink: RawSink,
    source: str,
    dt: str | None,
    files: list[FileLoad],
    table: str,
    rows: pd.DataFrame | list[GoodLines],
    quarantined: list[tuple],
    loaded_at: datetime,
) -> None:
    dt_value = date.fromisoformat(dt) if dt else None
    quarantine = pd.DataFrame(
        quarantined, columns=["source_file", "line_number", "reason", "raw_line"]
    ).assign(source=source, dt=dt_value, loaded_at=loaded_at)
    ledger = pd.DataFrame(
        [
            (
                f.source_file,
                f.file_bytes,
                f.file_mtime_ns,
                f.lines_read,
                f.lines_loaded,
                f.lines_quarantined,
                f.lines_blank,
                f.read_error,
            )
            for f in files
        ],
        columns=[
            "source_file",
            "file_bytes",
            "file_mtime_ns",
            "lines_read",
            "lines_loaded",
            "lines_quarantined",
            "lines_blank",
            "read_error",
        ],
    ).assign(source=source, dt=dt_value, loaded_at=loaded_at, rules_version=RULES_VERSION)
    sink.replace_partition(source, dt, table, rows, quarantine, ledger, loaded_at)


def _parse_file_task(
    landing_dir: Path, source: str, file_load: FileLoad, spill_dir: Path | None = None
) -> tuple[FileLoad, GoodLines, list[tuple]]:
    """One file's parse, runnable in a worker process: its counts, good lines and rejects.
    The good lines travel back as one Arrow table, not one object per line: the main
    process hands it to the database as it is (ingest/sinks.py). From a worker, the
    table is spilled to an Arrow file in `spill_dir` that the main process maps."""
    good = GoodLines(file_load.source_file)
    bad: list[tuple] = []
    dt = Path(file_load.source_file).parent.name.removeprefix("dt=")
    path, validator = landing_dir / file_load.source_file, VALIDATORS[source]
    _parse_log_file(path, validator, latest_received_at(dt), file_load, good, bad)
    good.packed()
    return file_load, good.spill(spill_dir) if spill_dir else good, bad


SPILL_ROOM = 2 * 2**30  # free shared memory wanted: a few partitions' tables at once


def _spill_folder() -> tempfile.TemporaryDirectory:
    """Where parse workers leave their tables: shared memory when the machine has room
    there, else the temporary folder (a table that does not fit goes by pipe)."""
    shared = Path("/dev/shm")
    usable = shared.is_dir() and os.access(shared, os.W_OK)
    if usable:
        stats = os.statvfs(shared)
        usable = stats.f_bavail * stats.f_frsize >= SPILL_ROOM
    return tempfile.TemporaryDirectory(prefix="wa-load-", dir=shared if usable else None)


def load_log_partitions(
    sink: RawSink, landing_dir: Path, source: str, dts: list[str], workers: int | None = None
) -> Iterator[LoadResult]:
    """Load the partitions `dts` of `source`, one after the other, each as
    `load_log_partition` does; the files of changed partitions are parsed by `workers`
    processes at once (validation is CPU-bound Python), and each partition is written
    as soon as all of its files are parsed."""
    workers = workers or default_load_workers()
    pool = ProcessPoolExecutor(workers, mp_context=_FORK) if workers > 1 else None
    spill = _spill_folder() if pool else None
    spill_dir = Path(spill.name) if spill else None
    in_flight: deque[tuple[LoadResult, list[Future]]] = deque()

    def start(dt: str) -> None:
        files = _fingerprint(landing_dir, landing.log_files(landing_dir, source, dt))
        # A partition with no file (its folder deleted or emptied) is loaded as empty:
        # its rows go, and the ledger keeps one row for the folder, with nothing read.
        empty = not files
        if empty:
            files = [FileLoad(f"{source}/dt={dt}/", 0, 0)]
        result = LoadResult(source, dt, files)
        tasks: list[Future] = []
        if _unchanged(sink, source, dt, files):
            result.skipped = True
        elif not empty:
            for f in files:
                if pool:
                    tasks.append(pool.submit(_parse_file_task, landing_dir, source, f, spill_dir))
                else:
                    tasks.append(_done(_parse_file_task(landing_dir, source, f)))
        in_flight.append((result, tasks))

    try:
        for dt in dts:
            # Parse ahead by at most one partition per worker: memory stays bounded.
            while len(in_flight) > workers:
                yield _finish(sink, *in_flight.popleft())
            start(dt)
        while in_flight:
            yield _finish(sink, *in_flight.popleft())
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
        if spill:
            spill.cleanup()  # what a failed or abandoned load left behind


def _finish(sink: RawSink, result: LoadResult, tasks: list[Future]) -> LoadResult:
    if not result.skipped:
        _write_parsed(sink, result, [task.result() for task in tasks])
    return result


def _done(value) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future


def _write_parsed(
    sink: RawSink, result: LoadResult, parsed: list[tuple[FileLoad, GoodLines, list[tuple]]]
) -> None:
    if parsed:
        result.files = [file_load for file_load, _, _ in parsed]
    bad = [row for _, _, rows in parsed for row in rows]
    rows = [good.unspill() for _, good, _ in parsed]
    source = result.source
    _replace_partition(sink, source, result.dt, result.files, source, rows, bad, _now())


def load_log_partition(sink: RawSink, landing_dir: Path, source: str, dt: str) -> LoadResult:
    """Load every file of `<landing>/<source>/dt=<dt>/` into `raw.<source>`."""
    (result,) = load_log_partitions(sink, landing_dir, source, [dt], workers=1)
    return result


def _phone_number_row(values: list[str]) -> tuple:
    waba_id, phone, phone_id, name, updated = values
    if not waba_id.isdigit():
        raise Invalid("waba_id is not a string of digits")
    if not phone.isdigit():
        raise Invalid("phone_number is not a string of digits")
    return (waba_id, phone, phone_id or None, name or None, parse_iso_utc(updated, "updated_at"))


def _waba_row(values: list[str]) -> tuple:
    waba_id, portfolio_id, name, timezone, currency, updated = values
    if not waba_id.isdigit():
        raise Invalid("waba_id is not a string of digits")
    if portfolio_id and not portfolio_id.isdigit():
        raise Invalid("business_portfolio_id is not a string of digits")
    if not known_time_zone(timezone):
        raise Invalid(f"timezone {timezone!r} is not an IANA time zone name")
    if not re.fullmatch("[A-Z]{3}", currency):
        raise Invalid(f"currency {currency!r} is not an ISO 4217 code")
    updated_at = parse_iso_utc(updated, "updated_at")
    return (waba_id, portfolio_id or None, name or None, timezone, currency, updated_at)


@dataclass(frozen=True)
class Registry:
    """A registry export: its landing folder (= raw table), its CSV header and the check
    that turns a record's fields into a raw row (raising Invalid for a bad record)."""

    name: str
    columns: list[str]
    row: Callable[[list[str]], tuple]


PHONE_NUMBERS = Registry(landing.PHONE_NUMBERS, PHONE_NUMBER_COLUMNS, _phone_number_row)
WABAS = Registry(landing.WABAS, WABA_COLUMNS, _waba_row)


def _parse_registry_file(
    registry: Registry, path: Path, load: FileLoad, good: list[tuple], bad: list[tuple]
) -> None:
    """One registry snapshot, read as RFC 4180 CSV (a quoted field may span lines; a UTF-8
    BOM is ignored). A record counts as one line read, wherever it spans; blank records
    are counted, not quarantined."""
    columns = registry.columns
    text, reason = _decode(path.read_bytes())
    text = text.removeprefix("\ufeff")
    if reason or not text.strip():
        load.lines_read = load.lines_quarantined = 1
        bad.append((load.source_file, 1, reason or "empty file", text[:MAX_RAW_CHARS]))
        return
    physical = text.splitlines()
    records = csv.reader(io.StringIO(text, newline=""))
    header = next(records)
    if [h.strip() for h in header] != columns:
        load.lines_read = load.lines_quarantined = len(physical)
        for number, line in enumerate(physical, start=1):
            bad.append((load.source_file, number, f"header is not {','.join(columns)}", line))
        return
    while True:
        number = records.line_num + 1  # the record's first line in the file
        try:
            values = next(records)
        except StopIteration:
            break
        except csv.Error as exc:
            values, error = None, f"not CSV: {exc}"
        else:
            error = None
        raw = "\n".join(physical[number - 1 : records.line_num])
        load.lines_read += 1
        if values == []:
            load.lines_blank += 1
            continue
        try:
            if error:
                raise Invalid(error)
            if len(values) != len(columns):
                raise Invalid(f"{len(values)} fields, expected {len(columns)}")
            row = registry.row(values)
        except Invalid as exc:
            bad.append((load.source_file, number, str(exc), raw[:MAX_RAW_CHARS]))
            load.lines_quarantined += 1
            continue
        good.append((load.source_file, number, *row, raw))
        load.lines_loaded += 1


def load_registry(sink: RawSink, landing_dir: Path, registry: Registry) -> LoadResult:
    """Load every snapshot of a registry into `raw.<registry>` (replaced whole). A registry
    with no file (never given, or its folder deleted) is loaded as empty: its rows go, and
    the ledger keeps one row for the folder, with nothing read."""
    source = registry.name
    files = _fingerprint(landing_dir, landing.registry_files(landing_dir, source))
    if not files:
        files = [FileLoad(f"{source}/", 0, 0)]
    result = LoadResult(source, None, files)
    if _unchanged(sink, source, None, files):
        result.skipped = True
        return result
    good: list[tuple] = []
    bad: list[tuple] = []
    for file_load in files:
        if file_load.source_file.endswith("/"):
            continue
        _parse_registry_file(registry, landing_dir / file_load.source_file, file_load, good, bad)
    loaded_at = _now()
    rows = pd.DataFrame(good, columns=["source_file", "line_number", *registry.columns, "raw_line"])
    rows["loaded_at"] = loaded_at
    _replace_partition(sink, source, None, files, source, rows, bad, loaded_at)
    return result


def load_phone_numbers(sink: RawSink, landing_dir: Path) -> LoadResult:
    """Load every phone-number registry snapshot into `raw.phone_numbers`."""
    return load_registry(sink, landing_dir, PHONE_NUMBERS)


def load_wabas(sink: RawSink, landing_dir: Path) -> LoadResult:
    """Load every WABA registry snapshot into `raw.wabas` (optional: R36)."""
    return load_registry(sink, landing_dir, WABAS)
