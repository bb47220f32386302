"""Fixtures shared by the suites: one run of the pipeline on the hand-made landing dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.e2e_landing import build

WA_REPORTS = Path(sys.executable).parent / "wa-reports"

# With the Spark extra installed, Great Expectations imports pyspark, which takes a
# `__main__` without `__file__` for its own doctest runner and exits the process.
# pytest-xdist's workers have such a `__main__`: give it a name.
if not hasattr(sys.modules["__main__"], "__file__"):
    sys.modules["__main__"].__file__ = "<pytest-xdist worker>"


ENGINE = os.environ.get("WA_ENGINE") or "duckdb"  # `make test-spark` sets spark


def wa(*args: str, engine: str = ENGINE) -> subprocess.CompletedProcess:
    """Run the CLI with paths from its arguments only: no WA_* variable leaks in from a
    test that imported the definitions (they export the paths for dbt). Only the engine
    (by default the one the suite runs on) is passed on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WA_")}
    env["WA_ENGINE"] = engine
    return subprocess.run(
        [str(WA_REPORTS), *args], capture_output=True, text=True, check=False, env=env
    )


def dbt_on(warehouse: Path, *args: str, target: Path) -> str:
    """Run dbt (the CLI's `run_dbt`) on the DuckDB file `warehouse`, writing into
    `target`; fail the test with the end of dbt's output unless it succeeds. No other
    `WA_` variable of this process reaches dbt (a partition window, a target)."""
    from orchestration.cli import run_dbt

    env = {k: v for k, v in os.environ.items() if not k.startswith("WA_")}
    env.update(WA_WAREHOUSE=str(warehouse), WA_ENGINE="duckdb")
    completed = run_dbt(*args, target=target, capture=True, env=env)
    assert completed.returncode == 0, completed.stdout[-4000:]
    return completed.stdout


@pytest.fixture
def restored_environment(monkeypatch):
    """Settings.export_env() (run_pipeline, build_resources) writes the paths into this
    process's environment for dbt: undone after the test, so no later test in the same
    worker reads a removed temporary warehouse."""
    for name in ("WA_LANDING_DIR", "WA_WAREHOUSE", "WA_SERVING_DIR", "WA_LAKE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WA_ENGINE", ENGINE)


def pytest_configure(config):
    config.addinivalue_line("markers", "spark: runs only on the Spark engine (make test-spark)")


# The longest tests (1-3 minutes each) start first, so that the two xdist workers share
# them instead of one worker finishing them alone at the end.
SLOW_FILES = ("test_incremental_equivalence.py", "test_pool.py", "test_dbt_unit_tests.py")


def pytest_collection_modifyitems(config, items):
    """Spark-only tests are deselected on DuckDB; `make test` runs them in test-spark.
    The slowest files run first (a stable sort: their own order is kept)."""
    items.sort(key=lambda item: item.path.name not in SLOW_FILES)
    if ENGINE == "spark":
        return
    spark_only = [item for item in items if item.get_closest_marker("spark")]
    if spark_only:
        config.hook.pytest_deselected(items=spark_only)
        items[:] = [item for item in items if not item.get_closest_marker("spark")]


@pytest.fixture(scope="session")
def e2e_run(tmp_path_factory) -> dict:
    """`wa-reports run` then `export` on tests/e2e_landing.py, once per session."""
    root = tmp_path_factory.mktemp("e2e")
    landing = build(root / "landing")
    warehouse = root / "warehouse.duckdb"
    run = wa("run", "--landing-dir", str(landing), "--warehouse", str(warehouse))
    exported = wa("export", "--warehouse", str(warehouse), "--out", str(root / "out"))
    return {
        "root": root,
        "landing": landing,
        "warehouse": warehouse,
        "run": run,
        "export": exported,
    }


def table_contents(warehouse: Path) -> dict[str, list[tuple]]:
    """Every row of every staging, intermediate and mart table and view, sorted; the
    load times (`loaded_at`, when a row was loaded, not what it says) left out."""
    contents = {}
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        relations = conn.execute(
            "select schema_name, table_name from duckdb_tables()"
            " where schema_name in ('staging', 'intermediate', 'marts')"
            " and table_name not in"
            " ('replaced_rows', 'model_watermarks', 'touched_keys', 'status_row_keys')"
            " union all select schema_name, view_name from duckdb_views()"
            " where schema_name = 'marts'"
        ).fetchall()
        for schema, table in sorted(relations):
            columns = [
                name
                for (name,) in conn.execute(
                    "select column_name from duckdb_columns()"
                    " where schema_name = ? and table_name = ? and column_name <> 'loaded_at'"
                    " order by column_index",
                    [schema, table],
                ).fetchall()
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            rows = conn.execute(f"select {select} from {schema}.{table}").fetchall()
            contents[f"{schema}.{table}"] = sorted(rows, key=repr)
    return contents
