"""`make bench`: wall time and peak RSS of full and incremental runs (not part of make test).

1. Full run: `--days` x `--messages-per-day` generated messages (default 10 x 100,000),
   one `wa-reports run` into a fresh warehouse: conversation-era traffic (from
   2022-11-01), then per-message-era traffic (from 2026-10-01: labels, allowances,
   volume tiers, three time zones and two currencies), and the ratio of the two.
2. Incremental: a landing of 2 x `--history-days` + 1 days (default 61). Two histories
   are built: the last `--history-days` days before the new day (default 30), and all
   2 x `--history-days` days before it in one run (a backfill of 6M messages, with
   `WA_MEMORY_LIMIT` set to `--memory-limit`). Then the new day runs on top of each,
   beside the same day built alone in a fresh warehouse.

Each `wa-reports` call is its own process; peak RSS is the largest resident set of that
process and the processes it waited for (dbt, the loader's parse workers), one at a time,
as GNU time reports it. The per-asset and per-model lines of the full and the
incremental runs are kept in `<root>/full-run-<era>.txt` and `<root>/incremental-run-*.txt`.

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
PER_MESSAGE_START = date(2026, 10, 1)  # service charged, allowances, tiers announced


# What a run imports (its own process and dbt's): imported once before each timed run.
WARM_IMPORTS = (
    "import dagster, dagster_dbt, great_expectations, duckdb, dbt.cli.main,"
    " dbt.adapters.duckdb, orchestration.runner, orchestration.assets.checks"
)


def timed(
    *args: str, log: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, float]:
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
        env=os.environ | (env or {}),
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
    parser.add_argument(
        "--memory-limit", default="2.5GB", help="WA_MEMORY_LIMIT of the long backfill"
    )
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
    from orchestration.dbt.manifest import ensure_manifest
    from orchestration.dbt.project import dbt_project

    ensure_manifest(dbt_project)
    messages = args.days * args.messages_per_day
    walls = {}
    for era, first_day in (("conversation", start), ("per-message", PER_MESSAGE_START)):
        landing = root / f"full-{era}-{args.days}x{args.messages_per_day}"
        generate(landing, first_day, args.days, args.messages_per_day)
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
                    log=root / f"full-run-{era}.txt",
                )
            )
        walls[era] = report(
            f"full run, {messages:,} messages of {era}-era traffic from {first_day}", full_runs
        )
    print(
        "per-message era / conversation era (medians): "
        f"{walls['per-message'] / walls['conversation']:.2f}x (target <= 1.15x)"
    )
    if args.skip_incremental:
        return

    days = args.history_days
    history = root / f"history-{2 * days + 1}x{args.messages_per_day}"
    generate(history, start, 2 * days + 1, args.messages_per_day)
    short_from = (start + timedelta(days=days)).isoformat()
    last_history = (start + timedelta(days=2 * days - 1)).isoformat()
    new_day = (start + timedelta(days=2 * days)).isoformat()
    warehouses = {}
    for label, first, env in (
        (f"{days} days", short_from, {}),
        (f"{2 * days} days", None, {"WA_MEMORY_LIMIT": args.memory_limit}),
    ):
        folder = root / f"history-warehouse-{label.replace(' ', '-')}"
        shutil.rmtree(folder, ignore_errors=True)
        warehouse = folder / "w.duckdb"
        window = ["--from", first] if first else []
        limit = f", WA_MEMORY_LIMIT={env['WA_MEMORY_LIMIT']}" if env else ""
        report(
            f"history of {label} in one run{limit}",
            [
                timed(
                    "run",
                    "--landing-dir",
                    str(history),
                    "--warehouse",
                    str(warehouse),
                    *window,
                    "--to",
                    last_history,
                    env=env,
                )
            ],
        )
        snapshot = root / f"snapshot-{label.replace(' ', '-')}"
        shutil.rmtree(snapshot, ignore_errors=True)
        shutil.copytree(folder, snapshot, symlinks=True)
        warehouses[label] = (warehouse, snapshot)
    day = ["--landing-dir", str(history), "--from", new_day, "--to", new_day]
    on_top: dict[str, list] = {label: [] for label in warehouses}
    alone = []
    for _ in range(args.repeat):
        for label, (warehouse, snapshot) in warehouses.items():
            # The same starting point each time: the warehouse and serving copy after the
            # history (the serving copy names its warehouse by path: restored in place).
            shutil.rmtree(warehouse.parent)
            shutil.copytree(snapshot, warehouse.parent, symlinks=True)
            on_top[label].append(
                timed(
                    "run",
                    *day,
                    "--warehouse",
                    str(warehouse),
                    log=root / f"incremental-run-{label.replace(' ', '-')}.txt",
                )
            )
        shutil.rmtree(root / "alone-warehouse", ignore_errors=True)
        alone.append(timed("run", *day, "--warehouse", str(root / "alone-warehouse" / "w.duckdb")))
    walls = {
        label: report(f"one day ({new_day}) on top of {label}", runs)
        for label, runs in on_top.items()
    }
    alone_wall = report("the same day alone", alone)
    short, long = walls.values()
    print(f"on top of {days} days / alone (medians): {short / alone_wall:.2f}x (target <= 2.0x)")
    print(
        f"on top of {2 * days} days / on top of {days} days (medians): {long / short:.2f}x"
        " (goal <= 1.3x)"
    )
    for _, snapshot in warehouses.values():
        shutil.rmtree(snapshot)


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
