"""`make bench`: wall time and peak RSS of full and incremental runs (not part of make test).

1. Full run: `--days` x `--messages-per-day` generated messages (default 10 x 100,000),
   one `wa-reports run` into a fresh warehouse.
2. Incremental: `--history-days` days of history (default 30) run first, then the next
   day run on top of them, beside the same day built alone in a fresh warehouse.

Each `wa-reports` call is its own process; peak RSS is the largest resident set of that
process and the processes it waited for (dbt, the loader's parse workers), one at a time,
as GNU time reports it. The per-asset and per-model lines of the full and the
incremental run are kept in `<root>/full-run.txt` and `<root>/incremental-run.txt`.

Timings on a shared machine vary by several seconds from run to run, so the full run,
the day on top of history and the day alone each run `--repeat` times (default 3) and
the median is reported beside every figure. Each timed run starts after an untimed
import of the run's Python packages (WARM_IMPORTS) and a `sync`. The day on top starts
each time from a copy of the warehouse (and serving copy) the history run left, taken
before the first; the day alone each time from an empty folder; the two alternate.
Figures go to stdout; copy them into the README with the machine they came from.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

BIN = Path(sys.executable).parent


# What a run imports (its own process and dbt's): imported once before each timed run.
WARM_IMPORTS = (
    "import dagster, dagster_dbt, great_expectations, duckdb, dbt.cli.main,"
    " dbt.adapters.duckdb, orchestration.runner, orchestration.assets.checks"
)


def timed(*args: str, log: Path | None = None) -> tuple[float, float]:
    """Run a wa-reports command; return (wall seconds, peak RSS in GB). Its per-asset and
    per-model lines (where the time goes) are kept in `log`."""
    # Every timed run starts with the same warm page cache for the Python packages: this
    # machine's memory manager reclaims cold page cache on its own, and a cold import of
    # Dagster, dbt and Great Expectations took 18.8 s against 5.8 s warm, paid by whichever
    # run came first after the 3.4 GB history copy (the day on top, every time).
    subprocess.run([sys.executable, "-c", WARM_IMPORTS], check=True, capture_output=True)
    # The previous step's writes (a warehouse copy, a run's files) reach the disk first:
    # the kernel's write-back of them would otherwise land in this run's time.
    os.sync()
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
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timed step")
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
    messages = args.days * args.messages_per_day
    full_runs = []
    for _ in range(args.repeat):
        shutil.rmtree(root / "full-warehouse", ignore_errors=True)
        full_runs.append(
            timed(
                "run",
                "--landing-dir",
                str(landing),
                "--warehouse",
                str(root / "full-warehouse" / "w.duckdb"),
                log=root / "full-run.txt",
            )
        )
    report(f"full run, {messages:,} messages", full_runs)
    if args.skip_incremental:
        return

    history = root / f"history-{args.history_days + 1}x{args.messages_per_day}"
    generate(history, start, args.history_days + 1, args.messages_per_day)
    last_history = (start + timedelta(days=args.history_days - 1)).isoformat()
    new_day = (start + timedelta(days=args.history_days)).isoformat()
    shutil.rmtree(root / "incremental-warehouse", ignore_errors=True)
    warehouse = root / "incremental-warehouse" / "w.duckdb"
    report(
        f"history, {args.history_days} days",
        [
            timed(
                "run",
                "--landing-dir",
                str(history),
                "--warehouse",
                str(warehouse),
                "--to",
                last_history,
            )
        ],
    )
    snapshot = root / "history-snapshot"
    shutil.rmtree(snapshot, ignore_errors=True)
    shutil.copytree(warehouse.parent, snapshot, symlinks=True)
    day = ["--landing-dir", str(history), "--from", new_day, "--to", new_day]
    on_top, alone = [], []
    for _ in range(args.repeat):
        # The same starting point each time: the warehouse and serving copy after history
        # (the serving copy names its warehouse by path, so it is restored in place).
        shutil.rmtree(warehouse.parent)
        shutil.copytree(snapshot, warehouse.parent, symlinks=True)
        on_top.append(
            timed("run", *day, "--warehouse", str(warehouse), log=root / "incremental-run.txt")
        )
        shutil.rmtree(root / "alone-warehouse", ignore_errors=True)
        alone.append(timed("run", *day, "--warehouse", str(root / "alone-warehouse" / "w.duckdb")))
    shutil.rmtree(snapshot)
    on_top_wall = report(f"one day ({new_day}) on top of {args.history_days} days", on_top)
    alone_wall = report("the same day alone", alone)
    print(f"incremental / alone (medians): {on_top_wall / alone_wall:.2f}x (target <= 1.5x)")


def report(label: str, runs: list[tuple[float, float]]) -> float:
    """Print each run's wall time and peak RSS and their medians; return the median wall."""
    walls = [wall for wall, _ in runs]
    rss = [peak for _, peak in runs]
    each = ", ".join(f"{wall:.1f}" for wall in walls)
    median = statistics.median(walls)
    print(
        f"{label}: {median:.1f} s wall (median of {each}), "
        f"{statistics.median(rss):.2f} GB peak RSS (largest {max(rss):.2f})"
    )
    return median


if __name__ == "__main__":
    main()
