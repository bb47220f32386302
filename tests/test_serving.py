"""The serving copy: analysts read it while a run writes the warehouse; a failed run
never replaces it; the saved analyses compile and run on it."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time

import duckdb
import pytest

from tests.conftest import wa, wa_here
from tests.e2e_landing import B1, U_IN1, W1, post, request, st
from tests.landing_builders import write_lines


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def copied(e2e_run, tmp_path):
    """The e2e landing dir, warehouse and serving copy, copied so a test may change them."""
    shutil.copytree(e2e_run["landing"], tmp_path / "landing")
    shutil.copyfile(e2e_run["warehouse"], tmp_path / "warehouse.duckdb")
    shutil.copytree(e2e_run["root"] / "serving", tmp_path / "serving", symlinks=True)
    return tmp_path


def test_the_run_publishes_the_marts_as_duckdb_and_parquet(e2e_run):
    serving = e2e_run["root"] / "serving"
    assert (serving / "parquet").is_symlink()
    with duckdb.connect() as conn:
        parquet = conn.execute(
            f"select count(*) from '{serving / 'parquet' / 'tabular_report' / '*' / '*.parquet'}'"
        ).fetchone()
        summary = conn.execute(
            f"select * from '{serving / 'parquet' / 'summary_messages.parquet'}' order by all"
        ).fetchall()
    assert parquet == (24,)
    with duckdb.connect(str(serving / "serving.duckdb"), read_only=True) as conn:
        assert (
            summary == conn.execute("select * from marts.summary_messages order by all").fetchall()
        )
    csv = wa(
        "sql",
        "--warehouse",
        str(e2e_run["warehouse"]),
        "--csv",
        "select country, count(*) as n from marts.tabular_report group by 1 order by 1",
    )
    assert csv.returncode == 0, csv.stderr
    assert csv.stdout.splitlines() == [
        "country,n",
        "Canada,3",
        "Dominican Republic,1",
        "Guernsey,2",
        "India,11",
        "Italy,6",
        "Unknown,1",
    ]


def test_a_reader_gets_the_previous_numbers_while_a_writer_holds_the_warehouse(copied):
    warehouse = copied / "warehouse.duckdb"
    # A second process opens the warehouse for writing, as a run does, empties a mart
    # (the next run's work in progress) and holds its lock for at most 60 seconds.
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            f"conn = duckdb.connect({str(warehouse)!r})\n"
            "conn.execute('delete from marts.fct_messages')\n"
            "print('holding', flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "holding"
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(warehouse), read_only=True)
        started = time.monotonic()
        reader = wa(
            "sql",
            "--warehouse",
            str(warehouse),
            "--csv",
            "select count(*) as messages from marts.tabular_report",
        )
        assert reader.returncode == 0, reader.stderr
        assert reader.stdout.splitlines() == ["messages", "24"]
        assert writer.poll() is None, "the writer let go before the reader finished"
        assert time.monotonic() - started < 30
    finally:
        writer.kill()
        writer.wait()


def test_the_report_is_served_as_its_view_even_where_the_copy_held_a_table(copied):
    """The copy keeps tabular_report as the warehouse's view over fct_messages, not a
    second copy of the rows; a copy published before that, with a table, is mended."""
    from orchestration.publish.serving import publish

    warehouse, serving = copied / "warehouse.duckdb", copied / "serving"
    with duckdb.connect(str(serving / "serving.duckdb")) as conn:
        conn.execute("create table marts.report_rows as select * from marts.tabular_report")
        conn.execute("drop view marts.tabular_report")
        conn.execute("alter table marts.report_rows rename to tabular_report")
        # The copy was published from the e2e warehouse: now from its copy.
        conn.execute("update publication.published_from set warehouse = ?", [str(warehouse)])
    with duckdb.connect(str(warehouse)) as conn:
        # Every message row changes (as after a --full-refresh): copied whole.
        conn.execute("update marts.fct_messages set template_name = 'renamed'")
        conn.execute("update changes.successful_builds set is_full_refresh = true")
    publish(warehouse, serving)
    query = "select * from marts.tabular_report order by whatsapp_id"
    with duckdb.connect(str(serving / "serving.duckdb"), read_only=True) as conn:
        (kind,) = conn.execute(
            "select table_type from information_schema.tables where table_name = 'tabular_report'"
        ).fetchone()
        served = conn.execute(query).fetchall()
        templates = conn.execute(
            "select distinct template_name from marts.tabular_report"
        ).fetchall()
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        expected = conn.execute(query).fetchall()
    assert kind == "VIEW"
    assert served == expected and templates == [("renamed",)]
    with duckdb.connect() as conn:
        parquet = conn.execute(
            f"select distinct template_name from '{serving}/parquet/tabular_report/*/*.parquet'"
        ).fetchall()
    assert parquet == [("renamed",)]


def test_a_failed_run_leaves_the_serving_copy_untouched(copied):
    before = digest(copied / "serving" / "serving.duckdb")
    parquet_before = (copied / "serving" / "parquet").readlink()
    # A conversation whose origin type has no rate: the run must fail (R22).
    origin = "authentication_international"
    write_lines(
        copied / "landing/api_logs/dt=2024-01-10/a.jsonl",
        [
            request(
                "x1",
                "2024-01-10T10:00:00Z",
                W1,
                B1,
                [U_IN1],
                "template",
                "Your code",
                template="otp_code",
            ),
        ],
    )
    write_lines(
        copied / "landing/webhook_logs/dt=2024-01-10/a.jsonl",
        [
            post(
                "2024-01-10T10:00:02Z",
                W1,
                B1,
                [
                    st(
                        "w.x1.0",
                        "sent",
                        "2024-01-10T10:00:01",
                        U_IN1,
                        "cv-x",
                        origin,
                        "2024-01-11T10:00:01",
                    )
                ],
            ),
            post(
                "2024-01-10T10:00:04Z",
                W1,
                B1,
                [st("w.x1.0", "delivered", "2024-01-10T10:00:03", U_IN1, "cv-x", origin)],
            ),
        ],
    )
    run = wa_here(
        "run",
        "--landing-dir",
        str(copied / "landing"),
        "--warehouse",
        str(copied / "warehouse.duckdb"),
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "FAIL marts/fct_conversations every_chargeable_conversation_has_a_rate" in run.stdout
    assert "run failed" in run.stdout.splitlines()[-1]
    assert digest(copied / "serving" / "serving.duckdb") == before
    assert (copied / "serving" / "parquet").readlink() == parquet_before
    count = wa(
        "sql",
        "--warehouse",
        str(copied / "warehouse.duckdb"),
        "--csv",
        "select count(*) from marts.tabular_report",
    )
    assert count.stdout.splitlines()[1] == "24"


@pytest.mark.parametrize(
    "name",
    [
        "delivery_rate_by_country_and_template",
        "failure_reasons_by_day",
        "amount_by_market",
        "free_tier_use_by_waba_and_month",
    ],
)
def test_each_saved_analysis_compiles_and_runs(e2e_run, name):
    result = wa("sql", "--warehouse", str(e2e_run["warehouse"]), "--csv", "--analysis", name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(result.stdout.splitlines()) > 1
    if name == "free_tier_use_by_waba_and_month":
        # By hand from tests/e2e_landing.py: W1 opens cv1, cv2, cv3, cv8 in November and
        # cv9 (marketing), cv10 (service) in June 2023; W2 opens cv6 (referral) and cv7,
        # then cv11 (utility).
        assert result.stdout.splitlines() == [
            "waba_id,opened_month,monthly_limit,eligible_conversations,free_conversations,"
            "opened_conversations",
            "105954558954427,2022-11-01,1000,4,4,4",
            "105954558954427,2023-06-01,1000,1,1,2",
            "107485930291844,2022-11-01,1000,1,1,2",
            "107485930291844,2023-06-01,1000,0,0,1",
        ]


def test_parquet_dates_without_changed_rows_are_carried_over_not_rewritten(tmp_path):
    """A run rewrites the Parquet file of each date its changed keys fall on and
    hard-links the other dates' files from the previous version (serving.py)."""
    from datetime import date

    from orchestration.publish.serving import _write_parquet_folder

    with duckdb.connect() as conn:
        conn.execute(f"attach '{tmp_path / 'serving.duckdb'}' as target")
        conn.execute("create schema target.marts")
        conn.execute(
            "create table target.marts.fct_conversations as select * from (values"
            " ('c1', timestamp '2022-11-01 10:00:00', 1.0),"
            " ('c2', timestamp '2022-11-02 10:00:00', 2.0),"
            " ('c3', timestamp '2022-11-03 10:00:00', 3.0),"
            " ('c4', null, 4.0)) as t(conversation_id, opened_at, amount)"
        )
        first, second = tmp_path / "parquet-1", tmp_path / "parquet-2"
        _write_parquet_folder(conn, "fct_conversations", first, None, None)
        folders = sorted(p.name for p in (first / "fct_conversations").iterdir())
        assert folders == [
            "partition_date=2022-11-01",
            "partition_date=2022-11-02",
            "partition_date=2022-11-03",
            "partition_date=__HIVE_DEFAULT_PARTITION__",
        ]
        # c2 changes and moves to 2022-11-03: both of its dates are touched.
        conn.execute(
            "update target.marts.fct_conversations set amount = 5.0,"
            " opened_at = timestamp '2022-11-03 11:00:00' where conversation_id = 'c2'"
        )
        touched = {date(2022, 11, 2), date(2022, 11, 3)}
        _write_parquet_folder(conn, "fct_conversations", second, first, touched)

        def inode(root, folder):
            (file,) = (root / "fct_conversations" / folder).glob("*.parquet")
            return file.stat().st_ino

        for kept in ("partition_date=2022-11-01", "partition_date=__HIVE_DEFAULT_PARTITION__"):
            assert inode(second, kept) == inode(first, kept)
        assert inode(second, "partition_date=2022-11-03") != inode(
            first, "partition_date=2022-11-03"
        )
        assert not (second / "fct_conversations" / "partition_date=2022-11-02").exists()
        rows = conn.execute(
            f"select conversation_id, amount, partition_date from read_parquet("
            f"'{second}/fct_conversations/*/*.parquet') order by conversation_id"
        ).fetchall()
    assert rows == [
        ("c1", 1.0, date(2022, 11, 1)),
        ("c2", 5.0, date(2022, 11, 3)),
        ("c3", 3.0, date(2022, 11, 3)),
        ("c4", 4.0, None),
    ]


def test_each_parquet_date_holds_the_rows_of_that_date_to_the_microsecond(tmp_path):
    """Each date is written by its own query bounded on the timestamp (serving.py,
    _write_dates): a row at midnight belongs to the day it opens, one a microsecond
    before midnight to the day before, and every row is written once."""
    from datetime import date

    from orchestration.publish.serving import _write_parquet_folder

    with duckdb.connect() as conn:
        conn.execute(f"attach '{tmp_path / 'serving.duckdb'}' as target")
        conn.execute("create schema target.marts")
        conn.execute(
            "create table target.marts.fct_conversations as select * from (values"
            " ('before', timestamp '2022-11-01 23:59:59.999999'),"
            " ('midnight', timestamp '2022-11-02 00:00:00'),"
            " ('next', timestamp '2022-11-03 00:00:00.000001'),"
            " ('undated', null)) as t(conversation_id, opened_at)"
        )
        _write_parquet_folder(conn, "fct_conversations", tmp_path / "parquet", None, None)
        rows = conn.execute(
            f"select conversation_id, partition_date from read_parquet("
            f"'{tmp_path}/parquet/fct_conversations/*/*.parquet') order by conversation_id"
        ).fetchall()
    assert rows == [
        ("before", date(2022, 11, 1)),
        ("midnight", date(2022, 11, 2)),
        ("next", date(2022, 11, 3)),
        ("undated", None),
    ]


def test_a_saved_analysis_compiles_from_the_serving_targets_own_parse_state(
    e2e_run, restored_environment
):
    """dbt throws a parse state away when it was saved for another profile target. The
    analyses compile on the `serving` target, the runs on the engine's: each keeps its
    own state, so an analysis after a run (or another analysis) parses only what
    changed instead of the whole project."""
    from orchestration.dbt.invocation import dbt_in_own_target
    from orchestration.settings import Settings

    settings = Settings.from_env(warehouse=str(e2e_run["warehouse"]))
    calls = [
        ("serving", ("compile", "--select", "amount_by_market")),
        (None, ("ls", "--select", "fct_messages")),  # the runs' target in between
        ("serving", ("compile", "--select", "amount_by_market")),
    ]
    for dbt_target, args in calls:
        with dbt_in_own_target(*args, settings=settings, capture=True, dbt_target=dbt_target) as (
            completed,
            _target,
        ):
            assert completed.returncode == 0, completed.stdout[-2000:]
    assert "Unable to do partial parsing" not in completed.stdout, completed.stdout[-2000:]
