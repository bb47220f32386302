"""Dead rows: the warehouse's writers run without DuckDB's vacuum, and dbt's on-run-end
hook rewrites a table once the rows its runs deleted pass a share of what it stores
(dbt_project/macros/compaction.sql)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.settings import DBT_PROJECT_DIR
from orchestration.warehouse import connect
from tests.conftest import dbt_on, table_contents
from tests.test_incremental_equivalence import DAYS, run_days

pytestmark = pytest.mark.usefixtures("restored_environment")
DEFAULT_SHARE = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"][
    "compaction_dead_row_share"
]


def dead_rows(warehouse: Path) -> dict[str, tuple[int, int]]:
    """(rows stored, deleted rows still stored) of every table of the models' schemas."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        stored = conn.execute(
            "select schema_name || '.' || table_name, estimated_size from duckdb_tables()"
            " where schema_name in ('staging', 'intermediate', 'marts')"
        ).fetchall()
        return {
            name: (rows, rows - conn.execute(f"select count(*) from {name}").fetchone()[0])
            for name, rows in stored
        }


def test_writers_checkpoint_without_vacuum(tmp_path):
    """A writer with vacuum on would run the merge over every table's deleted rows at
    its checkpoint, dbt's included (warehouse.py)."""
    with connect(tmp_path / "w.duckdb") as conn:
        (tasks,) = conn.execute("select current_setting('max_vacuum_tasks')").fetchone()
    assert tasks == 0


def test_day_by_day_runs_keep_every_table_under_the_dead_row_share(e2e_run, tmp_path):
    """Each day rewrites rows of the days before (late statuses, conversations, the
    summaries' dates) and the rerun rewrites its own day: without the hook the
    summaries end with about half their stored rows dead."""
    warehouse = tmp_path / "w.duckdb"
    run_days(e2e_run["landing"], warehouse, [*DAYS, "2022-11-26"])
    over = {
        name: (rows, dead)
        for name, (rows, dead) in dead_rows(warehouse).items()
        if dead > DEFAULT_SHARE * rows
    }
    assert over == {}


def test_a_compaction_keeps_every_row_and_drops_every_dead_one(e2e_run, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    run_days(e2e_run["landing"], warehouse, DAYS[:2])
    run_days(e2e_run["landing"], warehouse, DAYS[:1])  # a rerun: its rows replaced
    before = table_contents(warehouse)
    assert any(dead for _, dead in dead_rows(warehouse).values())
    # A share of 0: every table holding a deleted row is rewritten at the build's end.
    dbt_on(
        warehouse,
        "build",
        "--select",
        "summary_sessions",
        "--vars",
        "{compaction_dead_row_share: 0}",
        target=tmp_path / "target",
    )
    assert {name: dead for name, (_, dead) in dead_rows(warehouse).items() if dead} == {}
    assert table_contents(warehouse) == before
