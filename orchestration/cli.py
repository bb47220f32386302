"""`wa-reports`: a thin shell over the package. Parsing and messages here, work elsewhere.

Exit codes: 0 done, 1 a check failed, 2 bad usage or unreadable input; every error is
one line that says what to do.
"""

from __future__ import annotations

import argparse
import errno
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import NoReturn

import duckdb

from orchestration.dbt.invocation import dbt_in_own_target
from orchestration.settings import DBT_PROJECT_DIR, Settings, SettingsError

EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad usage or unreadable input: exit 2 with this one-line message."""


def _existing_warehouse(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env(getattr(args, "landing_dir", None), args.warehouse)
    if not settings.warehouse.exists():
        raise UsageError(f"warehouse {settings.warehouse} does not exist: run `wa-reports run`")
    return settings


def _existing_serving_copy(args: argparse.Namespace) -> tuple[Settings, Path]:
    from orchestration.publish.serving import SERVING_DB

    settings = Settings.from_env(warehouse=args.warehouse)
    path = settings.serving / SERVING_DB
    if not path.exists():
        raise UsageError(f"no serving copy at {path}: run `wa-reports run` first")
    return settings, path


@contextmanager
def _serving_connection(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The locked, read-only connection to the serving copy (serving.connect_read_only);
    a copy that cannot be opened is a one-line error."""
    from orchestration.publish.serving import connect_read_only

    try:
        conn = connect_read_only(path)
    except duckdb.Error as exc:
        raise UsageError(
            f"the serving copy {path} cannot be read ({_first_line(exc)}): "
            "run `wa-reports run` to publish it again"
        ) from None
    with conn:
        yield conn


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _ordered(date_from: str | None, date_to: str | None) -> None:
    if date_from and date_to and date_from > date_to:
        raise UsageError(f"--from {date_from} is after --to {date_to}: swap them")


def _warehouse_free(warehouse: Path) -> None:
    """Fail at once, in one line, when another process holds the warehouse (DuckDB lets
    one process write a file and no other open it)."""
    if not warehouse.exists():
        return
    from orchestration.warehouse import environment_failure

    try:
        duckdb.connect(str(warehouse)).close()
    except duckdb.IOException as exc:
        advice = environment_failure(str(exc)) or _first_line(exc)
        raise UsageError(f"cannot open the warehouse {warehouse}: {advice}") from None


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line that says where to look."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def _date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2022-11-25") from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def cmd_generate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from orchestration.sample_data import generate

    landing_dir = Settings.from_env(landing_dir=args.landing_dir).landing_dir
    with tqdm(total=args.days, unit="day", desc="generating", file=sys.stderr) as bar:
        lines = generate(
            landing_dir,
            date.fromisoformat(args.start),
            args.days,
            args.messages_per_day,
            args.seed,
            progress=bar.update,
        )
    print(
        f"wrote {lines} log lines ({args.days} days x {args.messages_per_day} messages) "
        f"under {landing_dir}"
    )
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from orchestration.runner import run_pipeline, select_partitions

    settings = Settings.from_env(args.landing_dir, args.warehouse)
    _ordered(args.date_from, args.date_to)
    if not settings.landing_dir.is_dir():
        raise UsageError(
            f"landing directory {settings.landing_dir} does not exist: "
            "run `wa-reports generate` or pass --landing-dir"
        )
    if not select_partitions(settings, args.date_from, args.date_to):
        raise UsageError(
            f"no api_logs/ or webhook_logs/ dt= folders under "
            f"{settings.landing_dir} in the range asked for"
        )
    _warehouse_free(settings.warehouse)
    outcome = run_pipeline(settings, args.date_from, args.date_to, full_refresh=args.full_refresh)
    if outcome.environment_failure:
        raise UsageError(f"{outcome.environment_failure} (details in {outcome.log_path})")
    if not outcome.ok:
        print(
            f"run failed after {outcome.seconds:.1f}s: {outcome.failures[0]} "
            f"(details in {outcome.log_path}; fix the data or the model, then run again)"
        )
        return EXIT_CHECK_FAILED
    print(f"done in {outcome.seconds:.1f}s: warehouse {settings.warehouse}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from orchestration.publish.export import EmptySelection, data_dates, export_reports

    _ordered(args.date_from, args.date_to)
    _, serving_db = _existing_serving_copy(args)
    out = Path(args.out)
    with _serving_connection(serving_db) as conn:
        try:
            written = export_reports(conn, out, args.date_from, args.date_to, args.waba)
        except EmptySelection as exc:
            raise UsageError(f"{exc}; nothing written") from None
        except duckdb.Error as exc:
            raise UsageError(
                f"cannot export from {serving_db} ({_first_line(exc)}); nothing written"
            ) from None
        first, last = data_dates(conn)
    for name, rows in written.items():
        print(f"{out / name}: {rows} rows")
    if not any(written.values()):
        held = f"{first} to {last}" if first else "no dates at all"
        print(
            f"wa-reports export: no report rows in this selection (the reports hold {held});"
            " the files have their header only",
            file=sys.stderr,
        )
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from orchestration.quality.full_check import run_full_check

    settings = _existing_warehouse(args)
    _warehouse_free(settings.warehouse)
    outcome = run_full_check(settings)
    for finding in outcome.failed + outcome.warned:
        print(f"  {finding.line()}")
    print(outcome.summary())
    return EXIT_CHECK_FAILED if outcome.failed else EXIT_OK


def cmd_docs(args: argparse.Namespace) -> int:
    settings = _existing_warehouse(args)
    generate = ("docs", "generate", "--static", "--quiet")
    with dbt_in_own_target(*generate, settings=settings) as (completed, target):
        if completed.returncode != 0:
            print("dbt docs generate failed: see dbt's message above", file=sys.stderr)
            return EXIT_CHECK_FAILED
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target / "static_index.html", out / "index.html")
    print(f"docs site: {(out / 'index.html').resolve()} (open it from disk, no server needed)")
    return EXIT_OK


def cmd_dbt(args: argparse.Namespace) -> int:
    """dbt itself on this project, with the settings a run gives it (the warehouse, the
    lake, the engine, the serving copy: `Settings.dbt_env`), writing into `target/`."""
    from orchestration.dbt.invocation import run_dbt

    if not args.dbt_args:
        raise UsageError("name a dbt command, e.g. `wa-reports dbt build --select fct_messages`")
    settings = Settings.from_env(warehouse=args.warehouse)
    completed = run_dbt(
        *args.dbt_args, target=DBT_PROJECT_DIR / "target", env=os.environ | settings.dbt_env()
    )
    # dbt's own codes: 0 done, 1 a model or test failed, 2 bad usage or an error.
    return completed.returncode


def cmd_sql(args: argparse.Namespace) -> int:
    settings, path = _existing_serving_copy(args)
    query = _compile_analysis(args.analysis, settings) if args.analysis else args.query
    with _serving_connection(path) as conn:
        if query:
            return _run_query(conn, query, args.csv)
        print(
            f"read-only serving copy at {path} (marts, raw.quarantine, raw.load_ledger); "
            "end a query with ';', quit with .quit or Ctrl-D"
        )
        buffer: list[str] = []
        while True:
            try:
                line = input("wa-reports> " if not buffer else "       ...> ")
            except EOFError:
                print()
                return EXIT_OK
            if not buffer and line.strip() in (".quit", ".exit"):
                return EXIT_OK
            buffer.append(line)
            if line.rstrip().endswith(";"):
                _run_query(conn, "\n".join(buffer), args.csv)
                buffer = []


def _compile_analysis(name: str, settings: Settings) -> str:
    """Compile a saved query of analyses/ against the serving copy (dbt target `serving`)."""
    available = sorted(p.stem for p in (DBT_PROJECT_DIR / "analyses").glob("*.sql"))
    if name not in available:
        raise UsageError(f"no analysis {name!r}; choose one of: {', '.join(available)}")
    compile_analysis = ("compile", "--quiet", "--select", name)
    with dbt_in_own_target(
        *compile_analysis, settings=settings, capture=True, dbt_target="serving"
    ) as (completed, target):
        if completed.returncode != 0:
            raise UsageError(f"dbt could not compile {name}: {completed.stdout.strip()[-300:]}")
        compiled = target / "compiled" / "whatsapp_reports" / "analyses" / f"{name}.sql"
        return compiled.read_text()


def _run_query(conn, query: str, as_csv: bool) -> int:
    import csv

    import duckdb

    try:
        relation = conn.sql(query)
    except duckdb.Error as exc:
        # One line, with DuckDB's hint kept ("Did you mean "marts.summary_sessions"?").
        lines = [line for line in str(exc).splitlines() if line.strip()]
        hints = [line.strip() for line in lines[1:] if line.startswith("Did you mean")]
        print(f"wa-reports sql: {' '.join([_first_line(exc), *hints])}", file=sys.stderr)
        return EXIT_USAGE
    if relation is None:
        return EXIT_OK
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(relation.columns)
        writer.writerows(relation.fetchall())
    else:
        relation.show(max_rows=200, max_width=200)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from orchestration.publish.report import build_report

    _ordered(args.date_from, args.date_to)
    _, serving_db = _existing_serving_copy(args)
    with _serving_connection(serving_db) as conn:
        charts = build_report(conn, Path(args.out), args.date_from, args.date_to, args.waba)
    print(f"report: {Path(args.out).resolve()} ({len(charts)} charts; opens from disk)")
    return EXIT_OK


LANDING_HELP = "the landing folder (default: $WA_LANDING_DIR, else data/landing)"
WAREHOUSE_HELP = "the warehouse file (default: $WA_WAREHOUSE, else data/warehouse.duckdb)"
SERVED_HELP = (
    "the warehouse file whose serving copy is read: $WA_SERVING_DIR, else serving/ beside "
    "it (default: $WA_WAREHOUSE, else data/warehouse.duckdb)"
)


def _date_range(parser: argparse.ArgumentParser, what: str) -> None:
    """--from and --to, inclusive, as YYYY-MM-DD; both optional (default: every date)."""
    for flag, dest, end in (("--from", "date_from", "first"), ("--to", "date_to", "last")):
        parser.add_argument(
            flag,
            dest=dest,
            type=_date,
            metavar="YYYY-MM-DD",
            help=f"the {end} {what}, inclusive (default: the {end} there is)",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="wa-reports",
        description="WhatsApp Business reports warehouse: generate sample data, run, export.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write synthetic landing data")
    gen.add_argument("--landing-dir", help=LANDING_HELP)
    gen.add_argument(
        "--start",
        type=_date,
        default="2022-11-21",
        metavar="YYYY-MM-DD",
        help="the first day of traffic (default: %(default)s)",
    )
    gen.add_argument(
        "--days",
        type=_positive,
        default=7,
        help="days of traffic, 1 or more (default: %(default)s)",
    )
    gen.add_argument(
        "--messages-per-day",
        type=_positive,
        default=1000,
        help="outgoing and incoming messages a day, 1 or more (default: %(default)s)",
    )
    gen.add_argument(
        "--seed",
        type=int,
        default=42,
        help="random seed: the same seed writes the same files (default: %(default)s)",
    )
    gen.set_defaults(func=cmd_generate)

    run = sub.add_parser("run", help="load the landing data and build every report")
    run.add_argument("--landing-dir", help=LANDING_HELP)
    run.add_argument("--warehouse", help=WAREHOUSE_HELP)
    _date_range(run, "dt partition (landing folder dt=YYYY-MM-DD) to load")
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every dbt model whole, once after an upgrade that changed a model's"
        " columns or after a seed changed (default: rebuild only what the loads changed)",
    )
    run.set_defaults(func=cmd_run)

    export = sub.add_parser(
        "export", help="write the reports as CSV files, from the checked serving copy"
    )
    export.add_argument("--warehouse", help=SERVED_HELP)
    export.add_argument("--out", required=True, help="the folder for the CSV files (required)")
    _date_range(export, "report date (UTC)")
    export.add_argument("--waba", metavar="ID", help="only this WABA ID (default: every WABA)")
    export.set_defaults(func=cmd_export)

    check = sub.add_parser(
        "check",
        help="run every dbt data test and data-quality check over all rows (exit 1 on a failure)",
    )
    check.add_argument("--warehouse", help=WAREHOUSE_HELP)
    check.add_argument("--landing-dir", help=f"for the landing-path checks: {LANDING_HELP}")
    check.set_defaults(func=cmd_check)

    sql = sub.add_parser("sql", help="query the read-only serving copy of the marts")
    sql.add_argument("query", nargs="?", help="SQL to run; without it, an interactive prompt")
    sql.add_argument(
        "--analysis",
        metavar="NAME",
        help="run a saved query of analyses/, named without .sql (default: none)",
    )
    sql.add_argument(
        "--csv", action="store_true", help="print CSV instead of a table (default: a table)"
    )
    sql.add_argument("--warehouse", help=SERVED_HELP)
    sql.set_defaults(func=cmd_sql)

    report = sub.add_parser("report", help="write the stakeholder report (one HTML page)")
    report.add_argument("--out", required=True, help="the HTML file to write (required)")
    _date_range(report, "report date (UTC)")
    report.add_argument("--waba", metavar="ID", help="only this WABA ID (default: every WABA)")
    report.add_argument("--warehouse", help=SERVED_HELP)
    report.set_defaults(func=cmd_report)

    dbt = sub.add_parser(
        "dbt",
        help="run dbt on this project with the settings a run gives it",
        description="Any dbt command (build, test, ls, compile, ...) on this project, on the"
        " warehouse, lake and engine of the WA_* settings; dbt writes into target/.",
    )
    dbt.add_argument("--warehouse", help=WAREHOUSE_HELP)
    dbt.add_argument(
        "dbt_args",
        nargs=argparse.REMAINDER,
        metavar="DBT_ARGS",
        help="the dbt command and its options, e.g. `build --select fct_messages+`",
    )
    dbt.set_defaults(func=cmd_dbt)

    docs = sub.add_parser("docs", help="generate the dbt docs site (static files)")
    docs.add_argument("--warehouse", help=WAREHOUSE_HELP)
    docs.add_argument(
        "--out", default="data/docs", help="the folder for the site (default: %(default)s)"
    )
    docs.set_defaults(func=cmd_docs)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, SettingsError) as exc:
        print(f"wa-reports {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except duckdb.Error as exc:
        print(f"wa-reports {args.command}: {_first_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        advice = (
            "free some space, then run again"
            if exc.errno in (errno.ENOSPC, errno.EDQUOT)
            else "check the path and its permissions"
        )
        print(f"wa-reports {args.command}: {exc.strerror or exc}{where}: {advice}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
