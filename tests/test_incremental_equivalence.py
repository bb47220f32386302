"""R28/R29: a full refresh and any sequence of incremental runs over the same landing
files give identical marts. Compared through the three CSV exports, byte for byte.

The full refresh is the CLI run of the session fixture; the incremental runs call the
same pipeline in-process (`run_pipeline`, what `wa-reports run` calls), which saves the
CLI's imports on each of the eleven runs."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.publish.export import export_reports
from orchestration.runner import run_pipeline
from orchestration.settings import Settings
from orchestration.warehouse import connect
from tests.conftest import ENGINE, dbt_on, table_contents

EXPORTS = (
    "tabular_report.csv",
    "summary_messages.csv",
    "summary_sessions.csv",
    "summary_charges.csv",
)
DAYS = ["2022-11-25", "2022-11-26", "2022-11-28", "2023-06-15"]
LATE_FILE = "api_logs/dt=2022-11-25/part-b.jsonl"  # a1 logged a second time


# run_pipeline exports the paths to the environment (for dbt): undone after each test.
pytestmark = pytest.mark.usefixtures("restored_environment")


def run_window(landing: Path, warehouse: Path, first: str, last: str) -> None:
    """One run over the partitions first .. last (a backfill when they differ)."""
    settings = Settings(landing.resolve(), warehouse.resolve(), engine=ENGINE)
    outcome = run_pipeline(settings, first, last, echo=lambda _: None)
    assert outcome.ok, outcome.failures


def run_days(landing: Path, warehouse: Path, days: list[str]) -> None:
    for day in days:
        run_window(landing, warehouse, day, day)


def exports(warehouse: Path, out: Path) -> dict[str, bytes]:
    with connect(warehouse, read_only=True) as conn:
        export_reports(conn, out, None, None, None)
    return {name: (out / name).read_bytes() for name in EXPORTS}


def successful_builds(warehouse: Path) -> list[tuple]:
    """The watermarks the successful builds recorded, oldest first."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(
            "select loaded_through from changes.successful_builds order by finished_at"
        ).fetchall()


@pytest.fixture
def full_refresh(e2e_run) -> dict[str, bytes]:
    return {name: (e2e_run["root"] / "out" / name).read_bytes() for name in EXPORTS}


@pytest.fixture(scope="module")
def first_day(e2e_run, tmp_path_factory) -> Path:
    """The warehouse folder after a run of the first day alone, built once for the tests
    that go on from there."""
    folder = tmp_path_factory.mktemp("first-day")
    run_days(e2e_run["landing"], folder / "w.duckdb", DAYS[:1])
    return folder


def after_first_day(first_day: Path, tmp_path: Path) -> Path:
    """A copy of `first_day` of the test's own (the serving copy's links kept)."""
    folder = tmp_path / "after-first-day"
    shutil.copytree(first_day, folder, symlinks=True)
    return (folder / "w.duckdb").resolve()


def test_a_status_table_rebuilt_whole_under_incremental_models_equals_a_full_refresh(
    e2e_run, first_day, full_refresh, tmp_path
):
    """A model dropped by hand is built whole by the next run, beside models that stay
    incremental and rebuild only the keys that changed: the reports still equal a
    full refresh."""
    warehouse = after_first_day(first_day, tmp_path)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("drop table intermediate.int_status_events_deduplicated")
    # The other days in one run (a backfill): their statuses about the first day's
    # messages reach the reports only through the mark.
    run_window(e2e_run["landing"], warehouse, DAYS[1], DAYS[-1])
    assert exports(warehouse, tmp_path / "out") == full_refresh


def test_a_partial_dbt_selection_records_no_watermark_and_loses_no_load(
    e2e_run, first_day, full_refresh, tmp_path
):
    """A day's raw loads, then only `fct_messages` and what follows it built (a subset
    materialized in Dagster, or `--select` by hand): the staging and intermediate models
    before it do not hold that day yet, so the build records no watermark, and the next
    run, for later days, still brings that day in."""
    from dagster import materialize

    from orchestration.assets.ingest import api_logs, webhook_logs
    from orchestration.resources import build_resources

    warehouse = after_first_day(first_day, tmp_path)
    settings = Settings(e2e_run["landing"].resolve(), warehouse, engine=ENGINE)
    loaded = materialize(
        [api_logs, webhook_logs], resources=build_resources(settings), partition_key=DAYS[1]
    )
    assert loaded.success
    before = successful_builds(warehouse)
    dbt_on(
        warehouse,
        *("build", "--select", "fct_messages+", "--exclude-resource-type", "unit_test"),
        target=tmp_path / "target",
    )
    assert successful_builds(warehouse) == before
    run_window(e2e_run["landing"], warehouse, DAYS[2], DAYS[-1])
    assert exports(warehouse, tmp_path / "out") == full_refresh
    # A whole build records the newest load as the watermark.
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        (newest,) = conn.execute("select max(loaded_at) from raw.load_ledger").fetchone()
    assert successful_builds(warehouse) == [*before, (newest,)]
    assert len(before) == 1


def test_shuffled_days_a_late_file_in_an_old_partition_and_a_day_rerun_equal_a_full_refresh(
    e2e_run, full_refresh, tmp_path
):
    landing = tmp_path / "landing"
    shutil.copytree(e2e_run["landing"], landing)
    late = (landing / LATE_FILE).read_bytes()
    (landing / LATE_FILE).unlink()
    warehouse = tmp_path / "w.duckdb"
    run_days(landing, warehouse, ["2023-06-15", "2022-11-28", "2022-11-25", "2022-11-26"])
    without_late_file = exports(warehouse, tmp_path / "shuffled")
    # The late copy of a1 is logged after the first: without it the reports are the
    # same, which is R1 (the earliest copy counts), so compare after it arrives too.
    assert without_late_file == full_refresh
    (landing / LATE_FILE).write_bytes(late)
    run_days(landing, warehouse, ["2022-11-25"])
    assert exports(warehouse, tmp_path / "late") == full_refresh
    # And the late file is in the warehouse: loaded, and its copy of a1 explodes.
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        copies = conn.execute(
            "select count(*) from staging.stg_api_logs__request_recipients where request_id = 'a1'"
        ).fetchone()
    assert copies == (2,)
    # A day loaded before, rerun (its files unchanged), changes nothing.
    run_days(landing, warehouse, ["2022-11-26"])
    assert exports(warehouse, tmp_path / "rerun") == full_refresh


def test_changed_keys_after_shuffled_days_a_late_file_vanished_lines_and_a_deleted_folder(
    tmp_path,
):
    """Generated days with more than 1,000 conversations per WABA-month, so free-tier
    places (R21) move when conversations arrive out of order. The incremental models
    must end equal to a full refresh in every table, not only in the exports."""
    from orchestration.sample_data import generate

    landing = tmp_path / "landing"
    generate(landing, date(2022, 11, 29), days=3, messages_per_day=2500, seed=11)
    # Without the `wabas` registry every WABA-month is a UTC month, which these days fill
    # past the free tier's limit (the per-message test below covers the registry).
    shutil.rmtree(landing / "wabas")
    late = landing / "api_logs/dt=2022-11-30/part-0001.jsonl.gz"
    late_bytes = late.read_bytes()
    late.unlink()
    incremental = tmp_path / "incremental" / "w.duckdb"
    # The last day and the late webhooks after it (one backfill run), then the first
    # two days: their statuses are loaded before the messages they are about.
    run_window(landing, incremental, "2022-12-01", "2022-12-31")
    run_days(landing, incremental, ["2022-11-29", "2022-11-30"])

    # The late file arrives, and a rerun of the same day finds a quarter of its webhook
    # lines gone: their statuses (some for messages of 2022-11-29) must vanish too.
    late.write_bytes(late_bytes)
    webhook_file = landing / "webhook_logs/dt=2022-11-30/part-0000.jsonl"
    lines = webhook_file.read_text().splitlines(keepends=True)
    webhook_file.write_text("".join(line for i, line in enumerate(lines) if i % 4 != 3))
    run_days(landing, incremental, ["2022-11-30"])
    # Then a rerun of the last day finds its API logs empty: its outgoing messages vanish,
    # and the summaries' rows on their date with them.
    for api_file in (landing / "api_logs/dt=2022-12-01").iterdir():
        api_file.unlink()
    (landing / "api_logs/dt=2022-12-01/part-0000.jsonl").write_text("")
    run_days(landing, incremental, ["2022-12-01"])
    # And a new registry snapshot renames a number, in a run that loads nothing else:
    # every date the summaries show that number on changes.
    (landing / "phone_numbers/registry-20221215.csv").write_text(
        "waba_id,phone_number,phone_number_id,display_name,updated_at\n"
        '105954558954427,918049276071,893848240807934,"Acme India Rewards",2022-12-15T00:00:00Z\n'
    )
    run_days(landing, incremental, ["2022-11-29"])
    # And the last loaded day's webhook folder is deleted: a run over every partition
    # finds it gone (from the ledger: no folder names it), and its late statuses leave
    # every table.
    shutil.rmtree(landing / "webhook_logs/dt=2022-12-09")
    run_window(landing, incremental, None, None)

    full = tmp_path / "full" / "w.duckdb"
    outcome = run_pipeline(
        Settings(landing.resolve(), full.resolve(), engine=ENGINE), echo=lambda _: None
    )
    assert outcome.ok, outcome.failures
    with duckdb.connect(str(full), read_only=True) as conn:
        (beyond_the_free_tier,) = conn.execute(
            "select count(*) from marts.fct_conversations"
            " where is_opened and is_free_tier_eligible and not is_free_tier"
        ).fetchone()
        renamed_rows, outgoing_on_the_emptied_day = conn.execute(
            "select"
            " (select count(*) from marts.summary_messages"
            "  where display_name = 'Acme India Rewards'),"
            " (select count(*) from marts.fct_messages"
            "  where report_date = '2022-12-01' and not is_incoming)"
        ).fetchone()
    assert beyond_the_free_tier > 0  # the data reaches R21's limit
    assert renamed_rows > 0 and outgoing_on_the_emptied_day == 0
    expected = table_contents(full)
    actual = table_contents(incremental)
    assert actual.keys() == expected.keys()
    for name in expected:
        assert actual[name] == expected[name], f"{name} differs"
    # The serving copy, brought up to date with the touched keys only, too.
    served = table_contents(incremental.parent / "serving" / "serving.duckdb")
    assert served == table_contents(full.parent / "serving" / "serving.duckdb")
    assert served["marts.tabular_report"] == expected["marts.tabular_report"]
    # Its Parquet folders too: dates a run did not touch are carried over from the
    # previous version, the others rewritten; together they hold every served row once.
    parquet = incremental.parent / "serving" / "parquet"
    # The message rows are there once, as the report (serving.NOT_IN_PARQUET).
    assert not (parquet / "fct_messages").exists()
    with duckdb.connect() as conn:
        for table in ("tabular_report", "fct_conversations"):
            rows = conn.execute(
                f"select * from read_parquet('{parquet / table}/*/*.parquet',"
                " hive_partitioning = false)"
            ).fetchall()
            assert sorted(rows, key=repr) == served[f"marts.{table}"], f"{table} differs"


def test_per_message_charges_after_shuffled_days_a_late_announcement_and_a_registry_change(
    tmp_path,
):
    """R41: generated per-message traffic across a month end in three time zones; the
    days loaded out of order, then a tier announcement that arrives late and raises
    charges already built, then a registry change that moves a WABA's time zone (and so
    billing months and eras). Every table and the serving copy end equal to a full
    refresh."""
    from orchestration.sample_data import generate
    from tests.e2e_landing_pmp import announcement
    from tests.landing_builders import write_lines

    landing = tmp_path / "landing"
    generate(landing, date(2026, 10, 30), days=3, messages_per_day=1500, seed=5)
    incremental = tmp_path / "incremental" / "w.duckdb"
    run_days(landing, incremental, ["2026-11-01"])
    run_window(landing, incremental, "2026-10-30", "2026-10-31")
    # Meta announced on 2026-10-31 that the first portfolio reached India's second
    # utility tier that month; the POST lands days later.
    write_lines(
        landing / "webhook_logs/dt=2026-11-04/late.jsonl",
        [
            announcement(
                "2026-11-04T08:00:00.000Z",
                "105954558954427",
                "2026-10-31T06:00:00",
                "INDIA",
                "UTILITY",
                "10001:100000",
                "2026-10",
            )
        ],
    )
    run_window(landing, incremental, "2026-11-02", "2026-11-30")
    # The US WABA moves to Kolkata time in a new registry snapshot, in a run that loads
    # nothing else.
    (landing / "wabas/wabas-later.csv").write_text(
        "waba_id,business_portfolio_id,name,timezone,currency,updated_at\n"
        "109283746501928,880000000000001,Acme US,Asia/Kolkata,USD,2026-11-02T00:00:00Z\n"
    )
    run_days(landing, incremental, ["2026-10-30"])

    full = tmp_path / "full" / "w.duckdb"
    outcome = run_pipeline(
        Settings(landing.resolve(), full.resolve(), engine=ENGINE), echo=lambda _: None
    )
    assert outcome.ok, outcome.failures
    with duckdb.connect(str(full), read_only=True) as conn:
        announced, months, currencies = conn.execute(
            "select count(*) filter (where tier_source = 'announced'),"
            " count(distinct billing_month), count(distinct currency)"
            " from marts.fct_message_charges"
        ).fetchone()
    assert announced > 0 and months == 2 and currencies == 2  # the data reach R38's cases
    expected = table_contents(full)
    actual = table_contents(incremental)
    assert actual.keys() == expected.keys()
    for name in expected:
        assert actual[name] == expected[name], f"{name} differs"
    served = table_contents(incremental.parent / "serving" / "serving.duckdb")
    assert served == table_contents(full.parent / "serving" / "serving.duckdb")
