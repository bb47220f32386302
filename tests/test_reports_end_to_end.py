"""`wa-reports run` and `export` on a hand-made landing directory (tests/e2e_landing.py),
compared with CSV files written by hand from the rules (tests/expected/)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import wa

EXPECTED = Path(__file__).parent / "expected"


@pytest.fixture(scope="module")
def built(e2e_run):
    return e2e_run


def test_the_run_and_the_export_succeed(built):
    run = built["run"]
    assert run.returncode == 0, run.stdout + run.stderr
    assert "marts/summary_sessions" in run.stdout
    # The dbt phase shows each model as dbt finishes it, before the run's summary.
    lines = run.stdout.splitlines()
    progress = [n for n, line in enumerate(lines) if line.strip().startswith("dbt built ")]
    summary = next(n for n, line in enumerate(lines) if line.startswith("checks: "))
    assert any("dbt built fct_messages (" in lines[n] for n in progress)
    assert any("dbt built summary_sessions (" in lines[n] for n in progress)
    assert max(progress) < summary
    assert built["export"].returncode == 0, built["export"].stderr


@pytest.mark.parametrize(
    "name",
    ["tabular_report.csv", "summary_messages.csv", "summary_sessions.csv", "summary_charges.csv"],
)
def test_each_csv_equals_the_hand_written_expectation(built, name):
    actual = (built["root"] / "out" / name).read_bytes()
    assert b"\r\n" in actual and b"\n" not in actual.replace(b"\r\n", b""), "RFC 4180 CRLF"
    expected = (EXPECTED / name).read_text(encoding="utf-8").splitlines()
    assert actual.decode("utf-8").splitlines() == expected


def test_malformed_lines_are_quarantined_and_every_file_reconciles(built):
    with duckdb.connect(str(built["warehouse"]), read_only=True) as conn:
        rows = conn.execute(
            "select source, source_file, line_number, reason from raw.quarantine order by all"
        ).fetchall()
        assert rows == [
            ("api_logs", "api_logs/dt=2022-11-25/part-a.jsonl", 6, rows[0][3]),
            (
                "webhook_logs",
                "webhook_logs/dt=2022-11-25/part-a.jsonl",
                6,
                "statuses[].timestamp is not unix seconds: 'soon'",
            ),
        ]
        assert rows[0][3].startswith("invalid JSON")
        (unbalanced,) = conn.execute(
            "select count(*) from raw.load_ledger "
            "where lines_read != lines_loaded + lines_quarantined"
        ).fetchone()
        assert unbalanced == 0


def test_orphans_and_ignored_statuses_are_kept_apart(built):
    with duckdb.connect(str(built["warehouse"]), read_only=True) as conn:
        orphans = conn.execute(
            "select wamid from intermediate.int_status_events_deduplicated where is_orphan"
        ).fetchall()
        ignored = conn.execute(
            "select wamid, status from intermediate.int_status_events_deduplicated "
            "where not is_counted_status"
        ).fetchall()
        conversations = conn.execute(
            "select conversation_id, is_opened from marts.fct_conversations order by all"
        ).fetchall()
    assert orphans == [("wamid.ghost",)]
    assert ignored == [("w.a2.0", "deleted")]
    assert ("cv-ghost", True) not in conversations and ("cv-ghost", False) not in conversations
    assert ("cv4", False) in conversations and ("cv5", False) in conversations


def test_export_filters_by_waba_and_dates(built):
    out = built["root"] / "filtered"
    done = wa(
        "export",
        "--warehouse",
        str(built["warehouse"]),
        "--out",
        str(out),
        "--waba",
        "107485930291844",
        "--from",
        "2022-11-26",
        "--to",
        "2022-12-31",
    )
    assert done.returncode == 0, done.stderr
    sessions = (out / "summary_sessions.csv").read_text().splitlines()
    assert sessions[1:] == [
        '"Nov 26, 2022",107485930291844,447700900555,,Guernsey,Business-initiated,Yes,1,0'
    ]
    assert len((out / "tabular_report.csv").read_text().splitlines()) == 1  # header only
