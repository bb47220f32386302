"""The landing zone of raw-logs.md: which partitions and files exist."""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

LOG_SOURCES = ("api_logs", "webhook_logs")
PHONE_NUMBERS = "phone_numbers"
_PARTITION = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")


def partition_dir(landing_dir: Path, source: str, dt: str) -> Path:
    return landing_dir / source / f"dt={dt}"


def partitions(landing_dir: Path, source: str) -> list[str]:
    """The `dt` values that have a folder under `source`, sorted."""
    root = landing_dir / source
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        match = _PARTITION.match(child.name)
        if child.is_dir() and match:
            date.fromisoformat(match.group(1))  # a folder named dt=2022-13-40 is an error
            found.append(match.group(1))
    return sorted(found)


def all_partitions(landing_dir: Path) -> list[str]:
    return sorted({dt for source in LOG_SOURCES for dt in partitions(landing_dir, source)})


def log_files(landing_dir: Path, source: str, dt: str) -> list[Path]:
    folder = partition_dir(landing_dir, source, dt)
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.name.endswith((".jsonl", ".jsonl.gz"))
    )


def registry_files(landing_dir: Path) -> list[Path]:
    folder = landing_dir / PHONE_NUMBERS
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(".csv"))


def read_lines(path: Path) -> Iterable[bytes]:
    """Raw lines without their line ending; gzip files are opened transparently.

    The file is read and split whole (one C call, not a Python step per line: a tenth of
    the loader's time per line). A gzip file that does not decompress whole (truncated,
    corrupt) is read line by line instead, so that the lines before the damage are
    still returned before the error is raised."""
    try:
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        return _read_lines_streaming(path)
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()  # the file's last line ending, not an empty line after it
    if b"\r" in data:
        lines = [line.rstrip(b"\r") for line in lines]
    return lines


def _read_lines_streaming(path: Path) -> Iterator[bytes]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        for line in handle:
            yield line.rstrip(b"\r\n")
