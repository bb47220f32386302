"""`wa-reports` from the outside: exit codes, one-line errors, and a full run."""

from __future__ import annotations

import argparse

import duckdb
import pytest

from tests.conftest import wa


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--landing-dir", "/nonexistent/landing"], "does not exist"),
        (["export", "--warehouse", "/nonexistent/w.duckdb", "--out", "x"], "no serving copy"),
        (["generate", "--days", "0"], "not a whole number"),
        (["run", "--from", "2022-13-01"], "not a date"),
    ],
)
@pytest.mark.fast
def test_bad_usage_exits_2_with_one_line_that_says_what_to_do(args, message):
    completed = wa(*args)
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]


@pytest.mark.fast
def test_run_on_an_empty_landing_dir_says_what_to_do(tmp_path):
    (tmp_path / "landing").mkdir()
    completed = wa(
        "run", "--landing-dir", str(tmp_path / "landing"), "--warehouse", str(tmp_path / "w.duckdb")
    )
    assert completed.returncode == 2
    assert "no api_logs/ or webhook_logs/ dt= folders" in completed.stderr


def test_generate_then_run_loads_raw_tables_quarantine_and_ledger(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "w.duckdb"
    generated = wa(
        "generate",
        "--landing-dir",
        str(landing),
        "--days",
        "2",
        "--messages-per-day",
        "300",
        "--seed",
        "3",
    )
    assert generated.returncode == 0, generated.stderr
    completed = wa("run", "--landing-dir", str(landing), "--warehouse", str(wh))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "raw/api_logs" in completed.stdout and "marts/tabular_report" in completed.stdout
    with duckdb.connect(str(wh), read_only=True) as conn:
        for table in (
            "raw.api_logs",
            "raw.webhook_logs",
            "raw.phone_numbers",
            "raw.load_ledger",
            "marts.tabular_report",
        ):
            assert conn.execute(f"select count(*) from {table}").fetchone()[0] > 0, table
        (unbalanced,) = conn.execute(
            "select count(*) from raw.load_ledger "
            "where lines_read != lines_loaded + lines_quarantined"
        ).fetchone()
        assert unbalanced == 0
        logs = "source in ('api_logs', 'webhook_logs')"
        (read,) = conn.execute(
            f"select sum(lines_read) from raw.load_ledger where {logs}"
        ).fetchone()
        stored = conn.execute(
            "select (select count(*) from raw.api_logs) + (select count(*) from raw.webhook_logs)"
            f" + (select count(*) from raw.quarantine where {logs})"
        ).fetchone()[0]
        assert read == stored


@pytest.mark.fast
def test_every_option_says_what_it_takes_and_its_default():
    from orchestration.cli import build_parser

    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, command in commands.choices.items():
        for action in command._actions:
            if isinstance(action, argparse._HelpAction) or not action.option_strings:
                continue
            text = action.help or ""
            assert "default" in text or "required" in text, (name, action.option_strings, text)
