"""On Spark (`make test-spark`): the run really went through Spark and the lake.

tests/test_reports_end_to_end.py, run with WA_ENGINE=spark, checks the CSV bytes; this
file checks where they came from: the loader's Parquet partitions, Spark's own tables,
and a warehouse file that holds only views over them. Selected only on Spark
(conftest.py deselects the `spark` marker on DuckDB).
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from tests.conftest import wa

pytestmark = pytest.mark.spark
RECIPIENTS_PER_DAY = "select dt, count(*) from staging.stg_api_logs__request_recipients group by dt"


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


def test_a_late_file_in_an_old_partition_overwrites_that_partition_on_spark(e2e_run, lake):
    """insert_overwrite of the reloaded dt only: the rerun equals the first run."""
    late = e2e_run["landing"] / "api_logs" / "dt=2022-11-26" / "part-late.jsonl"
    original = e2e_run["landing"] / "api_logs" / "dt=2022-11-26"
    first_file = sorted(original.glob("*.jsonl"))[0]
    late.write_bytes(first_file.read_bytes())  # the same requests logged a second time
    with duckdb.connect(str(e2e_run["warehouse"]), read_only=True) as conn:
        before = dict(conn.execute(RECIPIENTS_PER_DAY).fetchall())
    try:
        run = wa(
            "run",
            "--landing-dir",
            str(e2e_run["landing"]),
            "--warehouse",
            str(e2e_run["warehouse"]),
            "--from",
            "2022-11-26",
            "--to",
            "2022-11-26",
        )
        assert run.returncode == 0, run.stdout + run.stderr
        out = e2e_run["root"] / "out-after-late-file"
        assert (
            wa("export", "--warehouse", str(e2e_run["warehouse"]), "--out", str(out)).returncode
            == 0
        )
        for name in ("tabular_report.csv", "summary_messages.csv", "summary_sessions.csv"):
            assert (out / name).read_bytes() == (e2e_run["root"] / "out" / name).read_bytes()
        with duckdb.connect(str(e2e_run["warehouse"]), read_only=True) as conn:
            after = dict(conn.execute(RECIPIENTS_PER_DAY).fetchall())
        # The reloaded day holds each recipient twice now; every other day is untouched.
        day = date(2022, 11, 26)
        assert after[day] == 2 * before[day] > 0
        assert {d: n for d, n in after.items() if d != day} == {
            d: n for d, n in before.items() if d != day
        }
    finally:
        late.unlink(missing_ok=True)


def test_a_reloaded_partition_left_without_rows_is_emptied_on_spark(e2e_run, lake):
    """Dynamic partition overwrite writes nothing for a dt with no rows; the pre-hook
    drops the reloaded partitions first, so the old rows of that day go too."""
    folder = e2e_run["landing"] / "webhook_logs" / "dt=2022-11-28"
    originals = {path: path.read_bytes() for path in folder.iterdir()}
    events_per_day = "select dt, count(*) from staging.stg_webhook_logs__status_events group by dt"
    with duckdb.connect(str(e2e_run["warehouse"]), read_only=True) as conn:
        before = dict(conn.execute(events_per_day).fetchall())
    day = date(2022, 11, 28)
    assert before[day] > 0
    try:
        for path in originals:
            path.unlink()
        (folder / "only-bad.jsonl").write_text('{"received_at": "2022-11-28T\n')
        run = wa(
            "run",
            "--landing-dir",
            str(e2e_run["landing"]),
            "--warehouse",
            str(e2e_run["warehouse"]),
            "--from",
            "2022-11-28",
            "--to",
            "2022-11-28",
        )
        assert run.returncode == 0, run.stdout + run.stderr
        with duckdb.connect(str(e2e_run["warehouse"]), read_only=True) as conn:
            after = dict(conn.execute(events_per_day).fetchall())
            quarantined = conn.execute(
                "select count(*) from raw.quarantine where dt = date '2022-11-28'"
            ).fetchone()
        assert day not in after
        assert after == {d: n for d, n in before.items() if d != day}
        assert quarantined == (1,)
    finally:
        (folder / "only-bad.jsonl").unlink(missing_ok=True)
        for path, content in originals.items():
            path.write_bytes(content)
