"""`make bench`: wall time and peak RSS of full and incremental runs (not part of make test).

1. Full run: `--days` x `--messages-per-day` generated messages (default 10 x 100,000),
   one `wa-reports run` into a fresh warehouse.
2. Incremental: `--history-days` days of history (default 30) run first, then the next
   day run on top of them, beside the same day built alone in a fresh warehouse.

Each `wa-reports` call is its own process; peak RSS is the largest resident set of that
process and the processes it waited for (dbt, the loader's parse workers), one at a time,
as GNU time reports it. The per-asset and per-model lines of the full and the
incremental run are kept in `<root>/full-run.txt` and `<root>/incremental-run.txt`.
Figures go to stdout; copy them into the README with the machine they came from.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

BIN = Path(sys.executable).parent


def timed(*args: str, log: Path | None = None) -> tuple[float, float]:
    """Run a wa-reports command; return (wall seconds, peak RSS in GB). Its per-asset and
    per-model lines (where the time goes) are kept in `log`."""
    started = time.monotonic()
    completed = subprocess.run(
        ["/usr/bin/time", "-f", "%M", str(BIN / "wa-reports"), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - started
    if log:
        log.write_text(completed.stdout)
    if completed.returncode not in (0, 1):
        sys.exit(
            f"wa-reports {args[0]} failed:\n{completed.stdout[-2000:]}{completed.stderr[-2000:]}"
        )
    peak_kb = int(completed.stderr.strip().splitlines()[-1])
    return wall, peak_kb / 1024 / 1024


def generate(landing: Path, start: date, days: int, per_day: int) -> None:
    if not landing.exists():
        subprocess.run(
            [
                str(BIN / "wa-reports"),
                "generate",
                "--landing-dir",
                str(landing),
                "--start",
                start.isoformat(),
                "--days",
                str(days),
                "--messages-per-day",
                str(per_day),
                "--seed",
                "7",
            ],
            check=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="data/bench")
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--messages-per-day", type=int, default=100_000)
    parser.add_argument("--history-days", type=int, default=30)
    parser.add_argument("--skip-incremental", action="store_true")
    args = parser.parse_args()
    root = Path(args.root).resolve()
    start = date(2022, 11, 1)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
        f"Python {platform.python_version()}"
    )

    # dbt's manifest is parsed once after a change to the project (`make install` does it
    # too); a run that found it stale would time a `dbt parse` (about 9 s) with it.
    from orchestration.dbt_manifest import ensure_manifest
    from orchestration.resources import dbt_project

    ensure_manifest(dbt_project)
    landing = root / f"full-{args.days}x{args.messages_per_day}"
    generate(landing, start, args.days, args.messages_per_day)
    shutil.rmtree(root / "full-warehouse", ignore_errors=True)
    wall, rss = timed(
        "run",
        "--landing-dir",
        str(landing),
        "--warehouse",
        str(root / "full-warehouse" / "w.duckdb"),
        log=root / "full-run.txt",
    )
    messages = args.days * args.messages_per_day
    print(f"full run, {messages:,} messages: {wall:.1f} s wall, {rss:.2f} GB peak RSS")
    if args.skip_incremental:
        return

    history = root / f"history-{args.history_days + 1}x{args.messages_per_day}"
    generate(history, start, args.history_days + 1, args.messages_per_day)
    last_history = (start + timedelta(days=args.history_days - 1)).isoformat()
    new_day = (start + timedelta(days=args.history_days)).isoformat()
    shutil.rmtree(root / "incremental-warehouse", ignore_errors=True)
    warehouse = root / "incremental-warehouse" / "w.duckdb"
    wall, rss = timed(
        "run", "--landing-dir", str(history), "--warehouse", str(warehouse), "--to", last_history
    )
    print(f"history, {args.history_days} days: {wall:.1f} s wall, {rss:.2f} GB peak RSS")
    inc_wall, inc_rss = timed(
        "run",
        "--landing-dir",
        str(history),
        "--warehouse",
        str(warehouse),
        "--from",
        new_day,
        "--to",
        new_day,
        log=root / "incremental-run.txt",
    )
    shutil.rmtree(root / "alone-warehouse", ignore_errors=True)
    alone_wall, alone_rss = timed(
        "run",
        "--landing-dir",
        str(history),
        "--warehouse",
        str(root / "alone-warehouse" / "w.duckdb"),
        "--from",
        new_day,
        "--to",
        new_day,
    )
    print(
        f"one day ({new_day}) on top of {args.history_days} days: {inc_wall:.1f} s wall, "
        f"{inc_rss:.2f} GB peak RSS"
    )
    print(f"the same day alone: {alone_wall:.1f} s wall, {alone_rss:.2f} GB peak RSS")
    print(f"incremental / alone: {inc_wall / alone_wall:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
