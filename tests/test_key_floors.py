"""Reads by touched key start at the first row that holds one (in_touched_keys_of in
dbt_project/macros/touched_keys.sql): whole builds write their rows in date order, and
an incremental build appends the rows it rewrites at the end of its table. The floors
change no result (the equivalence tests in test_incremental_equivalence.py prove it
over whole, day-by-day, shuffled and rerun builds); these tests pin the layout that
makes them skip rows."""

from __future__ import annotations

import re
from datetime import date

import duckdb
import pytest

from orchestration.sample_data import generate
from orchestration.settings import DBT_PROJECT_DIR
from tests.conftest import ENGINE
from tests.test_incremental_equivalence import run_window

pytestmark = [
    pytest.mark.usefixtures("restored_environment"),
    pytest.mark.skipif(ENGINE != "duckdb", reason="rowid and the floors are DuckDB's"),
]
ORDERED = re.compile(r"\{\{ whole_build_order\('(\w+)'\) \}\}")


def ordered_models() -> dict[str, str]:
    """Each model that orders its whole build, with the column it orders by."""
    found = {}
    for path in (DBT_PROJECT_DIR / "models").rglob("*.sql"):
        match = ORDERED.search(path.read_text())
        if match:
            found[path.stem] = match.group(1)
    return found


def out_of_order_rows(conn: duckdb.DuckDBPyConnection, relation: str, column: str) -> int:
    """Rows whose `column` is below the row stored before them (rowid order)."""
    return conn.execute(
        f"select count(*) from (select {column} as value,"
        f" lag({column}) over (order by rowid) as previous from {relation})"
        " where value < previous"
    ).fetchone()[0]


def relation_of(conn: duckdb.DuckDBPyConnection, model: str) -> str:
    (schema,) = conn.execute(
        "select schema_name from duckdb_tables() where table_name = ?", [model]
    ).fetchone()
    return f"{schema}.{model}"


def test_the_big_tables_order_their_whole_builds():
    assert set(ordered_models()) >= {
        "stg_webhook_logs__status_events",
        "int_status_events_deduplicated",
        "int_outgoing_messages_enriched_with_status",
        "fct_messages",
    }


@pytest.fixture(scope="module")
def day_on_top(tmp_path_factory) -> dict:
    """Two days built at once (a whole build), then the third on top of them."""
    root = tmp_path_factory.mktemp("key-floors")
    landing = root / "landing"
    generate(landing, date(2022, 11, 28), days=3, messages_per_day=300, seed=5)
    warehouse = root / "w.duckdb"
    run_window(landing, warehouse, "2022-11-28", "2022-11-29")
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        disorder = {
            model: out_of_order_rows(conn, relation_of(conn, model), column)
            for model, column in ordered_models().items()
        }
        (rows,) = conn.execute("select count(*) from marts.fct_messages").fetchone()
    run_window(landing, warehouse, "2022-11-30", "2022-11-30")
    return {"warehouse": warehouse, "disorder_after_whole_build": disorder, "rows": rows}


def test_a_whole_build_writes_each_ordered_model_in_date_order(day_on_top):
    """Without the order a day's rows sit all over each table (the window functions and
    joins scatter them)."""
    disorder = day_on_top["disorder_after_whole_build"]
    assert day_on_top["rows"] > 500
    assert disorder == dict.fromkeys(disorder, 0)


def test_an_incremental_build_appends_what_it_rewrites_after_the_rows_it_kept(day_on_top):
    """The rows of the keys the third day's build touched (its own messages and the
    earlier days' that gained a status) all sit after every row it kept, so the floor of
    its reads by those keys skips the rows of the days before."""
    with duckdb.connect(str(day_on_top["warehouse"]), read_only=True) as conn:
        for model, key, day in (
            ("int_status_events_deduplicated", "wamid", "dt"),
            ("int_outgoing_messages_enriched_with_status", "message_id", "dt"),
            ("fct_messages", "message_id", "report_date"),
        ):
            relation = relation_of(conn, model)
            touched = f"(select key_value from staging.touched_keys where model = '{model}')"
            first_touched, last_kept, old_touched = conn.execute(
                f"select min(rowid) filter (where {key} in {touched}),"
                f" max(rowid) filter (where {key} not in {touched}),"
                f" count(*) filter (where {key} in {touched} and {day} < '2022-11-30')"
                f" from {relation}"
            ).fetchone()
            assert old_touched > 0, model  # late statuses reached the days before
            assert first_touched > last_kept, model
