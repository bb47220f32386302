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
    int_conversations_priced, fct_messages and what follows them again from the first
    day's watermark, into a target folder of its own: the same touched keys, and the SQL
    its tests ran. The same build with `--full-refresh` on a copy: the SQL of the tests
    after a whole build. Before those, a build of fct_messages and what follows it alone:
    the SQL of its tests where the conversations were not rebuilt."""
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

    def take_in_the_second_day_again() -> None:
        with duckdb.connect(str(warehouse)) as conn:
            conn.execute(
                "update staging.model_watermarks set loaded_through = ?"
                " where model in ('fct_messages', 'int_conversations_priced')",
                [first_watermark],
            )

    take_in_the_second_day_again()
    whole_copy = root / "whole.duckdb"
    shutil.copyfile(warehouse, whole_copy)
    tests_without_parents = compiled_tests(warehouse, root / "messages", "fct_messages+")
    take_in_the_second_day_again()
    return {
        "warehouse": warehouse,
        "after_whole_build": after_whole_build,
        "tests_without_parents": tests_without_parents,
        "tests": compiled_tests(warehouse, root / "target", *BOTH),
        "whole_copy": whole_copy,
        "tests_after_whole_build": compiled_tests(
            whole_copy, root / "whole", *BOTH, "--full-refresh"
        ),
    }


BOTH = ("int_conversations_priced+", "fct_messages+")


def compiled_tests(warehouse: Path, target: Path, *selection: str) -> dict[str, str]:
    """`dbt build` of the selected models (and options): the SQL of each test it ran."""
    models = [arg for arg in selection if not arg.startswith("--")]
    options = [arg for arg in selection if arg.startswith("--")]
    select = ["--select", *models, "--exclude-resource-type", "unit_test"]
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


RELATIONSHIPS = (
    "relationships_fct_messages_conversation_id__conversation_id__ref_fct_conversations_"
)
TOTALS = "assert_summary_messages_totals_equal_tabular_counts"
IDENTITIES = "assert_summary_messages_identities_hold_on_every_row"


def test_each_test_reads_what_the_build_rewrote_and_tests_of_other_relations_read_all(two_days):
    tests = two_days["tests"]
    assert '"staging"."touched_keys"' in tests["unique_fct_messages_message_id"]
    assert "touched_keys" in tests["not_null_fct_messages_message_id"]
    # tabular_report is a view: it follows fct_messages's keys, under its own name.
    assert "where model = 'fct_messages'" in tests["unique_tabular_report_whatsapp_id"]
    # A relationship: the child's rewritten rows and those naming a rewritten parent key.
    assert "where model = 'fct_messages'" in tests[RELATIONSHIPS]
    assert "where model = 'int_conversations_priced'" in tests[RELATIONSHIPS]
    # A summary against its facts: the dates the summary rebuilt, written out as dates.
    for singular in (TOTALS, IDENTITIES):
        assert "as date) in (date '2022-11-29', date '2022-11-30')" in tests[singular]
    for other in (
        "assert_free_tier_sessions_match_the_limit_per_waba_month",
        "assert_sessions_add_up_to_opened_conversations",
    ):
        assert "touched_keys" not in tests[other], other
    # After a whole build every test reads every row.
    assert all("touched_keys" not in sql for sql in two_days["tests_after_whole_build"].values())


def point_a_message_at_a_missing_conversation(
    conn: duckdb.DuckDBPyConnection, touched: bool
) -> None:
    keys = f"(select key_value from {STATE} where model = '{{model}}' and key_value is not null)"
    (message_id,) = conn.execute(
        "select min(message_id) from warehouse.marts.fct_messages"
        f" where message_id {'in' if touched else 'not in'} {keys.format(model='fct_messages')}"
        f" and conversation_id not in {keys.format(model='int_conversations_priced')}"
    ).fetchone()
    assert message_id is not None
    conn.execute(
        "update warehouse.marts.fct_messages set conversation_id = 'no such conversation'"
        " where message_id = ?",
        [message_id],
    )


def test_a_relationship_is_checked_from_rewritten_children_and_rewritten_parents(two_days):
    relationships = two_days["tests"][RELATIONSHIPS]
    with rolled_back(two_days["warehouse"]) as conn:
        assert failures(conn, relationships) == 0
        point_a_message_at_a_missing_conversation(conn, touched=True)
        assert failures(conn, relationships) == 1
    with rolled_back(two_days["warehouse"]) as conn:
        # A rewritten conversation that went away, named by a message no build rewrote.
        (conversation_id,) = conn.execute(
            "select min(conversation_id) from warehouse.marts.fct_messages"
            f" where conversation_id in (select key_value from {STATE}"
            "   where model = 'int_conversations_priced')"
            f" and message_id not in (select key_value from {STATE} where model = 'fct_messages')"
        ).fetchone()
        assert conversation_id is not None
        conn.execute(
            "delete from warehouse.intermediate.int_conversations_priced where conversation_id = ?",
            [conversation_id],
        )
        assert failures(conn, relationships) > 0
    with rolled_back(two_days["warehouse"]) as conn:
        # Neither side rewritten: tested when it was written, and again by a whole build.
        point_a_message_at_a_missing_conversation(conn, touched=False)
        assert failures(conn, relationships) == 0
    whole_build_test = two_days["tests_after_whole_build"][RELATIONSHIPS]
    with rolled_back(two_days["whole_copy"]) as conn:
        assert failures(conn, whole_build_test) == 0
        point_a_message_at_a_missing_conversation(conn, touched=False)
        assert failures(conn, whole_build_test) == 1
    # A build that left the conversations alone reads the rewritten messages only.
    messages_only = two_days["tests_without_parents"][RELATIONSHIPS]
    assert "where model = 'fct_messages'" in messages_only
    assert "int_conversations_priced" not in messages_only
    with rolled_back(two_days["warehouse"]) as conn:
        assert failures(conn, messages_only) == 0
        point_a_message_at_a_missing_conversation(conn, touched=True)
        assert failures(conn, messages_only) == 1


def test_a_summary_is_checked_against_its_facts_on_the_dates_it_rebuilt(two_days):
    totals, identities = (two_days["tests"][name] for name in (TOTALS, IDENTITIES))
    rebuilt = f"(select cast(key_value as date) from {STATE} where model = 'summary_messages')"
    a_row_on_a_rebuilt_date = (
        "where message_type = 'Template message' and (report_date, waba_id, wa_phone_number,"
        " country) = (select (report_date, waba_id, wa_phone_number, country)"
        " from warehouse.marts.summary_messages where message_type = 'Template message'"
        f" and report_date in {rebuilt} order by all limit 1)"
    )
    with rolled_back(two_days["warehouse"]) as conn:
        assert failures(conn, totals) == 0 and failures(conn, identities) == 0
        conn.execute(
            f"update warehouse.marts.summary_messages set sent = sent - 1 {a_row_on_a_rebuilt_date}"
        )
        assert failures(conn, totals) == 1  # SENT no longer matches the report's rows
        assert failures(conn, identities) == 1  # CREATED <> SENT + rejected
    # A date the summary did not rebuild (READ > DELIVERED, and no report rows): tested
    # when it was built, and by a whole build.
    not_rebuilt = (
        "insert into warehouse.marts.summary_messages"
        " select date '2022-11-01', waba_id, wa_phone_number, display_name, country,"
        " message_type, created, failed, sent, delivered, delivered + 1, received"
        f" from warehouse.marts.summary_messages {a_row_on_a_rebuilt_date}"
    )
    with rolled_back(two_days["warehouse"]) as conn:
        conn.execute(not_rebuilt)
        assert failures(conn, totals) == 0 and failures(conn, identities) == 0
    whole = two_days["tests_after_whole_build"]
    with rolled_back(two_days["whole_copy"]) as conn:
        assert failures(conn, whole[TOTALS]) == 0 and failures(conn, whole[IDENTITIES]) == 0
        conn.execute(not_rebuilt.replace(f" and report_date in {rebuilt}", ""))
        assert failures(conn, whole[TOTALS]) == 1 and failures(conn, whole[IDENTITIES]) == 1


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
