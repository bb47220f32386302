"""The landing zone (docs/landing.md): which partitions and files exist, and how to read them.

The layout is `api_logs/dt=YYYY-MM-DD/*.jsonl[.gz]`, `webhook_logs/dt=YYYY-MM-DD/...`,
`phone_numbers/*.csv` and `wabas/*.csv`. Anything else (a `dt=` folder that is not a
date, a file outside a `dt=` folder, another extension, an unknown folder) is never
read and never stops a run: `unknown_paths` lists it, the run prints the list and a
warning check counts it (R28).
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

LOG_SOURCES = ("api_logs", "webhook_logs")
PHONE_NUMBERS = "phone_numbers"
WABAS = "wabas"
REGISTRIES = (PHONE_NUMBERS, WABAS)
LOG_SUFFIXES = (".jsonl", ".jsonl.gz")
_PARTITION = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")
BOM = b"\xef\xbb\xbf"  # a UTF-8 byte order mark, as Excel writes it: ignored (R26)
# What a damaged file raises when read: a truncated gzip (EOFError), bytes that are not
# gzip (gzip.BadGzipFile, an OSError), a corrupt deflate stream (zlib.error).
READ_ERRORS = (OSError, EOFError, zlib.error)


def partition_dir(landing_dir: Path, source: str, dt: str) -> Path:
    return landing_dir / source / f"dt={dt}"


def _partition_date(folder: Path) -> str | None:
    """The `dt` of a partition folder, or None when the name is not `dt=` and a real date."""
    match = _PARTITION.match(folder.name)
    if not match or not folder.is_dir():
        return None
    try:
        return date.fromisoformat(match.group(1)).isoformat()
    except ValueError:  # dt=2022-13-45: listed by unknown_paths, never read
        return None


def partitions(landing_dir: Path, source: str) -> list[str]:
    """The `dt` values that have a folder under `source`, sorted."""
    root = landing_dir / source
    if not root.is_dir():
        return []
    return sorted(dt for child in root.iterdir() if (dt := _partition_date(child)))


def all_partitions(landing_dir: Path) -> list[str]:
    return sorted({dt for source in LOG_SOURCES for dt in partitions(landing_dir, source)})


def _is_log_file(path: Path) -> bool:
    return path.is_file() and path.name.endswith(LOG_SUFFIXES)


def log_files(landing_dir: Path, source: str, dt: str) -> list[Path]:
    folder = partition_dir(landing_dir, source, dt)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _is_log_file(p))


def registry_files(landing_dir: Path, registry: str = PHONE_NUMBERS) -> list[Path]:
    folder = landing_dir / registry
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(".csv"))


def unknown_paths(landing_dir: Path) -> list[str]:
    """Every path under the landing folder that the layout does not know, relative to it
    (folders end in `/`), sorted. Nothing here raises on a strange name."""
    if not landing_dir.is_dir():
        return []

    def name(path: Path) -> str:
        text = path.relative_to(landing_dir).as_posix()
        return f"{text}/" if path.is_dir() else text

    unknown: list[str] = []
    for top in landing_dir.iterdir():
        if top.name in LOG_SOURCES and top.is_dir():
            for child in top.iterdir():
                if _partition_date(child) is None:
                    unknown.append(name(child))
                    continue
                unknown.extend(name(p) for p in child.iterdir() if not _is_log_file(p))
        elif top.name in REGISTRIES and top.is_dir():
            unknown.extend(
                name(p) for p in top.iterdir() if not (p.is_file() and p.name.endswith(".csv"))
            )
        else:
            unknown.append(name(top))
    return sorted(unknown)


@dataclass
class FileLines:
    """The lines of one landing file, without their line ending (a UTF-8 BOM at the start
    removed); gzip files are opened transparently. A damaged file yields the lines
    before the damage, then records what stopped the reading in `damage` (None: read to
    its end), R26.

    The file is read and split whole (one C call, not a Python step per line: a tenth of
    the loader's time per line). A file that does not decompress whole (truncated,
    corrupt, not gzip) is read line by line instead, so that the lines before the damage
    still come out."""

    path: Path
    damage: str | None = None

    def __iter__(self) -> Iterator[bytes]:
        try:
            data = self.path.read_bytes()
            if self.path.name.endswith(".gz"):
                data = gzip.decompress(data)
        except READ_ERRORS:
            return self._streaming()
        if data.startswith(BOM):
            data = data[len(BOM) :]
        lines = data.split(b"\n")
        if lines[-1] == b"":
            lines.pop()  # the file's last line ending, not an empty line after it
        if b"\r" in data:
            lines = [line.rstrip(b"\r") for line in lines]
        return iter(lines)

    def _streaming(self) -> Iterator[bytes]:
        opener = gzip.open if self.path.name.endswith(".gz") else open
        try:
            with opener(self.path, "rb") as handle:
                for number, line in enumerate(handle):
                    if number == 0 and line.startswith(BOM):
                        line = line[len(BOM) :]
                    yield line.rstrip(b"\r\n")
        except READ_ERRORS as exc:
            self.damage = f"{type(exc).__name__}: {exc}"


def read_lines(path: Path) -> FileLines:
    return FileLines(path)
