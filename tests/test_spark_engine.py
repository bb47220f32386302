"""On Spark (`make test-spark`): the run really went through Spark and the lake.

tests/test_reports_end_to_end.py, run with WA_ENGINE=spark, checks the CSV bytes; this
file checks where they came from: the loader's Parquet partitions, Spark's own tables,
and a warehouse file that holds only views over them. Selected only on Spark
(conftest.py deselects the `spark` marker on DuckDB).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.conftest import wa

pytestmark = pytest.mark.spark
RECIPIENTS_PER_DAY = "select dt, count(*) from staging.stg_api_logs__request_recipients group by dt"
EVENTS_PER_DAY = "select dt, count(*) from staging.stg_webhook_logs__status_events group by dt"


@pytest.fixture(scope="module")
def lake(e2e_run):
    assert e2e_run["run"].returncode == 0, e2e_run["run"].stdout + e2e_run["run"].stderr
    return e2e_run["warehouse"].parent / "lake"


def test_the_loader_wrote_parquet_partitioned_by_dt(lake):
    partitions = sorted(p.name for p in (lake / "raw" / "webhook_logs").iterdir())
    assert partitions == ["dt=2022-11-25", "dt=2022-11-26", "dt=2022-11-28", "dt=2023-06-15"]
    ledger = sorted(p.name for p in (lake / "raw" / "load_ledger").iterdir())
    assert "dt=__HIVE_DEFAULT_PARTITION__" in ledger  # the registry, which has no dt
    (rows,) = duckdb.execute(
        f"select count(*) from read_parquet('{lake}/raw/api_logs/*/*.parquet')"
    ).fetchone()
    assert rows == 16  # 17 lines read, 1 quarantined


def test_the_models_are_spark_tables_and_the_warehouse_file_only_views_over_them(e2e_run, lake):
    assert (lake / "metastore_db").is_dir()
    assert any((lake / "spark-warehouse" / "marts.db" / "summary_sessions").glob("*.parquet"))
    with duckdb.connect(str(e2e_run["warehouse"]), read_only=True) as conn:
        tables = conn.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name != 'raw'"
        ).fetchall()
        views = conn.execute(
            "select schema_name, view_name, sql from duckdb_views() where not internal"
        ).fetchall()
    assert tables == []
    marts = {name: sql for schema, name, sql in views if schema == "marts"}
    assert set(marts) >= {"tabular_report", "summary_messages", "summary_sessions"}
    assert "spark-warehouse/marts.db/summary_sessions" in marts["summary_sessions"]


def test_a_rerun_overwrites_exactly_the_reloaded_partitions_on_spark(e2e_run, lake, tmp_path):
    """One rerun of 2022-11-26..28 after two landing changes: a late file in 2022-11-26
    (the same requests logged again) and a 2022-11-28 whose only line is now invalid.

    insert_overwrite replaces exactly the reloaded partitions: the requests of 11-26
    appear twice, the status events of 11-28 are gone (the pre-hook dropped the
    partition; dynamic overwrite alone writes nothing for a dt with no rows), every
    other day is untouched, and the reports equal DuckDB's on the same landing files.
    """
    landing = e2e_run["landing"]
    api_day = landing / "api_logs" / "dt=2022-11-26"
    late = api_day / "part-late.jsonl"
    hooks_day = landing / "webhook_logs" / "dt=2022-11-28"
    originals = {path: path.read_bytes() for path in hooks_day.iterdir()}
    with duckdb.connect(str(e2e_run["warehouse"]), read_only=True) as conn:
        recipients_before = dict(conn.execute(RECIPIENTS_PER_DAY).fetchall())
        events_before = dict(conn.execute(EVENTS_PER_DAY).fetchall())
    late_day, empty_day = date(2022, 11, 26), date(2022, 11, 28)
    assert recipients_before[late_day] > 0 and events_before[empty_day] > 0
    try:
        late.write_bytes(sorted(api_day.glob("*.jsonl"))[0].read_bytes())
        for path in originals:
            path.unlink()
        (hooks_day / "only-bad.jsonl").write_text('{"received_at": "2022-11-28T\n')
        # DuckDB builds the same files meanwhile: a Spark build leaves part of the
        # machine idle, and this is the only test left running then.
        with ThreadPoolExecutor(max_workers=1) as side:
            on_duckdb = side.submit(_build_and_export_on_duckdb, landing, tmp_path)
            rerun = ("--from", "2022-11-26", "--to", "2022-11-28")
            run = wa(
                "run",
                *("--landing-dir", str(landing), "--warehouse", str(e2e_run["warehouse"]), *rerun),
            )
            on_duckdb.result()
        assert run.returncode == 0, run.stdout + run.stderr
        with duckdb.connect(str(e2e_run["warehouse"]), read_only=True) as conn:
            recipients = dict(conn.execute(RECIPIENTS_PER_DAY).fetchall())
            events = dict(conn.execute(EVENTS_PER_DAY).fetchall())
        assert recipients[late_day] == 2 * recipients_before[late_day]
        assert without(recipients, late_day) == without(recipients_before, late_day)
        assert empty_day not in events
        assert events == without(events_before, empty_day)

        exported = wa(
            "export", "--warehouse", str(e2e_run["warehouse"]), "--out", str(tmp_path / "spark")
        )
        assert exported.returncode == 0, exported.stderr
        for name in ("tabular_report.csv", "summary_messages.csv", "summary_sessions.csv"):
            assert (tmp_path / "spark" / name).read_bytes() == (
                tmp_path / "duckdb" / name
            ).read_bytes()
    finally:
        late.unlink(missing_ok=True)
        (hooks_day / "only-bad.jsonl").unlink(missing_ok=True)
        for path, content in originals.items():
            path.write_bytes(content)


def _build_and_export_on_duckdb(landing: Path, root: Path) -> None:
    """`run` and `export` on DuckDB over `landing`, the CSV files into `root/duckdb`."""
    warehouse = root / "duckdb.duckdb"
    for args in (
        ["run", "--landing-dir", str(landing), "--warehouse", str(warehouse)],
        ["export", "--warehouse", str(warehouse), "--out", str(root / "duckdb")],
    ):
        done = wa(*args, engine="duckdb")
        assert done.returncode == 0, done.stdout + done.stderr


def without(counts: dict, day: date) -> dict:
    return {d: n for d, n in counts.items() if d != day}
