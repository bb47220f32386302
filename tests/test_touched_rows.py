"""Data tests of a touched-key model read only the rows its incremental build rewrote
(dbt_project/macros/touched_rows.sql), and every row after a whole build."""

from __future__ import annotations

import json
import shutil
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.runner import run_pipeline
from orchestration.settings import Settings
from tests.conftest import ENGINE, dbt_on

pytestmark = pytest.mark.usefixtures("restored_environment")
STATE = "warehouse.staging.touched_keys"


@pytest.fixture(scope="module")
def two_days(tmp_path_factory) -> dict:
    """A whole build of one day, an incremental build of the next, then `dbt build` of
    fct_messages and what follows it again from the first day's watermark, into a
    target folder of its own: the same touched keys, and the SQL its tests ran. The
    same build with `--full-refresh` on a copy: the SQL of the tests after a whole
    build."""
    from orchestration.sample_data import generate

    root = tmp_path_factory.mktemp("touched-rows")
    landing = root / "landing"
    generate(landing, date(2022, 11, 29), days=2, messages_per_day=300, seed=5)
    warehouse = (root / "w.duckdb").resolve()
    settings = Settings(landing.resolve(), warehouse, engine=ENGINE)
    assert run_pipeline(settings, "2022-11-29", "2022-11-29", echo=lambda _: None).ok
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        after_whole_build = conn.execute(
            "select model, count(*), count(key_value) from staging.touched_keys group by model"
        ).fetchall()
        (first_watermark,) = conn.execute(
            "select loaded_through from staging.model_watermarks where model = 'fct_messages'"
        ).fetchone()
    assert run_pipeline(settings, "2022-11-30", "2022-11-30", echo=lambda _: None).ok
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(
            "update staging.model_watermarks set loaded_through = ? where model = 'fct_messages'",
            [first_watermark],
        )
    whole_copy = root / "whole.duckdb"
    shutil.copyfile(warehouse, whole_copy)
    return {
        "warehouse": warehouse,
        "after_whole_build": after_whole_build,
        "tests": compiled_tests(warehouse, root / "target"),
        "whole_copy": whole_copy,
        "tests_after_whole_build": compiled_tests(whole_copy, root / "whole", "--full-refresh"),
    }


def compiled_tests(warehouse: Path, target: Path, *options: str) -> dict[str, str]:
    """`dbt build` of fct_messages and what follows it: the SQL of each test it ran."""
    select = ["--select", "fct_messages+", "--exclude-resource-type", "unit_test"]
    dbt_on(warehouse, "build", *select, *options, target=target)
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {
        r["unique_id"].split(".")[2]: r["compiled_code"]
        for r in results
        if r["unique_id"].startswith("test.")
    }


@contextmanager
def rolled_back(warehouse: Path):
    """The warehouse under the catalog name the compiled tests use; changes undone."""
    with duckdb.connect() as conn:
        conn.execute(f"attach '{warehouse}' as warehouse")
        conn.execute("begin transaction")
        try:
            yield conn
        finally:
            conn.execute("rollback")


def failures(conn: duckdb.DuckDBPyConnection, test_sql: str) -> int:
    return conn.execute(f"select count(*) from ({test_sql}) as test_rows").fetchone()[0]


def duplicate_a_message(conn: duckdb.DuckDBPyConnection, touched: bool) -> None:
    keys = f"(select key_value from {STATE} where model = 'fct_messages' and key_value is not null)"
    (message_id,) = conn.execute(
        "select min(message_id) from warehouse.marts.fct_messages"
        f" where message_id {'in' if touched else 'not in'} {keys}"
    ).fetchone()
    assert message_id is not None
    conn.execute(
        "insert into warehouse.marts.fct_messages"
        " select * from warehouse.marts.fct_messages where message_id = ?",
        [message_id],
    )


def test_a_whole_build_marks_every_touched_key_model_as_built_whole(two_days):
    marked = {model: (rows, keys) for model, rows, keys in two_days["after_whole_build"]}
    for model in ("fct_messages", "int_conversations_priced", "int_status_events_deduplicated"):
        assert marked[model] == (1, 0), model  # one row, its key NULL


def test_key_tests_read_the_touched_rows_and_tests_of_other_relations_read_all(two_days):
    tests = two_days["tests"]
    assert '"staging"."touched_keys"' in tests["unique_fct_messages_message_id"]
    assert "touched_keys" in tests["not_null_fct_messages_message_id"]
    # tabular_report is a view: it follows fct_messages's keys, under its own name.
    assert "where model = 'fct_messages'" in tests["unique_tabular_report_whatsapp_id"]
    relationships = [sql for name, sql in tests.items() if name.startswith("relationships_")]
    singular = tests["assert_summary_messages_totals_equal_tabular_counts"]
    assert relationships and singular
    assert all("touched_keys" not in sql for sql in [*relationships, singular])


def test_a_duplicate_among_the_rewritten_rows_fails_and_elsewhere_waits_for_a_whole_build(
    two_days,
):
    unique_messages = two_days["tests"]["unique_fct_messages_message_id"]
    unique_report_rows = two_days["tests"]["unique_tabular_report_whatsapp_id"]
    with rolled_back(two_days["warehouse"]) as conn:
        (touched,) = conn.execute(
            f"select count(*) from {STATE} where model = 'fct_messages'"
        ).fetchone()
        (messages,) = conn.execute("select count(*) from warehouse.marts.fct_messages").fetchone()
        assert 0 < touched < messages  # the second day touched some messages, not all
        assert failures(conn, unique_messages) == 0
        duplicate_a_message(conn, touched=True)
        assert failures(conn, unique_messages) == 1
        assert failures(conn, unique_report_rows) == 1
    with rolled_back(two_days["warehouse"]) as conn:
        # Rows no build rewrote were tested when they were written.
        duplicate_a_message(conn, touched=False)
        assert failures(conn, unique_messages) == 0
    # After a whole build the tests are dbt's own and read every row.
    whole_build_test = two_days["tests_after_whole_build"]["unique_fct_messages_message_id"]
    assert "touched_keys" not in whole_build_test
    with rolled_back(two_days["whole_copy"]) as conn:
        assert failures(conn, whole_build_test) == 0
        duplicate_a_message(conn, touched=False)
        assert failures(conn, whole_build_test) == 1
