"""Fixtures shared by the suites: one run of the pipeline on the hand-made landing dir."""

from __future__ import annotations

import ast
import contextlib
import functools
import io
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
# Runs are not recorded in a Dagster instance on disk (about 6 s a run): each test builds
# its own warehouse, and nobody opens their run history. test_cli.py checks recording.
os.environ["WA_RECORD_RUNS"] = "0"


def cli_environment(engine: str = ENGINE, record_runs: bool = False) -> dict[str, str]:
    """The environment a CLI call gets: no WA_* variable of the shell that started the
    suite leaks in (paths come from the command's arguments only). Only the engine (by
    default the one the suite runs on) and whether runs are recorded (by default not)
    are passed on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WA_", "DAGSTER_HOME"))}
    return env | {"WA_ENGINE": engine, "WA_RECORD_RUNS": "1" if record_runs else "0"}


def wa(*args: str, engine: str = ENGINE, record_runs: bool = False) -> subprocess.CompletedProcess:
    """Run the CLI in a process of its own, with `cli_environment`."""
    return subprocess.run(
        [str(WA_REPORTS), *args],
        capture_output=True,
        text=True,
        check=False,
        env=cli_environment(engine, record_runs),
    )


def wa_here(*args: str) -> subprocess.CompletedProcess:
    """`wa(*args)` through the same entry point (`orchestration.cli.main`) in this
    process, with `cli_environment` for the call: the CLI's imports (Dagster, dbt's
    adapter, Great Expectations: about 5 s a process) are paid once per worker instead
    of once per command. For fixtures that build a warehouse and keep the command's
    outcome; what a process does at its edges (a bad setting, a full disk, a held lock)
    is tested with `wa`."""
    from orchestration.cli import main

    saved, env = dict(os.environ), cli_environment()
    stdout, stderr = io.StringIO(), io.StringIO()
    os.environ.clear()
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            returncode = main(list(args))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return subprocess.CompletedProcess(
        ["wa-reports", *args], returncode, stdout.getvalue(), stderr.getvalue()
    )


def dbt_on(warehouse: Path, *args: str, target: Path) -> str:
    """Run dbt (the CLI's `run_dbt`) on the DuckDB file `warehouse`, writing into
    `target`; fail the test with the end of dbt's output unless it succeeds. No other
    `WA_` variable of this process reaches dbt (a partition window, a target)."""
    from orchestration.dbt.invocation import run_dbt

    env = {k: v for k, v in os.environ.items() if not k.startswith("WA_")}
    env.update(WA_WAREHOUSE=str(warehouse), WA_ENGINE="duckdb")
    completed = run_dbt(*args, target=target, capture=True, env=env)
    assert completed.returncode == 0, completed.stdout[-4000:]
    return completed.stdout


@pytest.fixture
def restored_environment(monkeypatch):
    """No `WA_*` variable of the shell that started the suite reaches the test (the
    settings it builds are its own), and the engine is the suite's."""
    for name in ("WA_LANDING_DIR", "WA_WAREHOUSE", "WA_SERVING_DIR", "WA_LAKE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WA_ENGINE", ENGINE)


def pytest_configure(config):
    config.addinivalue_line("markers", "spark: runs only on the Spark engine (make test-spark)")
    config.addinivalue_line(
        "markers", "fast: builds no warehouse from landing data (make test-fast, under a minute)"
    )


# On Spark (`make test-spark`), the tests that read the session's Spark build of the
# hand-made landing are one scheduling unit: one worker builds it once, while the other
# builds the per-message landing. A Spark build waits on about a second per statement
# more than it computes, so two at once take little longer than one.
SPARK_SHARED_BUILD = "e2e_run"


@functools.cache
def _module_fixture_units(path: str) -> dict[str, str]:
    """Test name -> scheduling unit, for the tests of the file at `path` that need one
    of its module-scoped fixtures (directly, or through another fixture of the file, or,
    on Spark, the session's SPARK_SHARED_BUILD). Tests whose fixtures meet share a unit,
    so one worker builds each fixture once. Read from the file's syntax: the scheduler
    runs in pytest-xdist's controller, which collects no tests."""
    tree = ast.parse(Path(path).read_text())
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    needs = {f.name: {a.arg for a in f.args.args} for f in functions}
    shared = {
        f.name
        for f in functions
        for d in f.decorator_list
        if isinstance(d, ast.Call)
        for k in d.keywords
        if k.arg == "scope" and getattr(k.value, "value", None) == "module"
    }
    if ENGINE == "spark":
        shared.add(SPARK_SHARED_BUILD)

    def closure(name: str, seen: set[str]) -> set[str]:
        for arg in needs.get(name, set()) - seen:
            seen.add(arg)
            closure(arg, seen)
        return seen

    # Fixtures one test (or fixture) needs together end up in one group.
    group = {name: name for name in shared}

    def root(name: str) -> str:
        while group[name] != name:
            name = group[name]
        return name

    used = {f.name: closure(f.name, set()) & shared for f in functions}
    for together in filter(None, used.values()):
        # The session's shared build, where it is one of them, names the group.
        first, *rest = sorted(together, key=lambda name: (name != SPARK_SHARED_BUILD, name))
        for other in rest:
            group[root(other)] = root(first)
    units = {}
    for name, together in used.items():
        if name.startswith("test") and together:
            fixture = root(min(together))
            shared_build = fixture == SPARK_SHARED_BUILD
            units[name] = SPARK_SHARED_BUILD if shared_build else f"{path}::{fixture}"
    return units


def pytest_xdist_make_scheduler(config, log):
    """`pytest -n 2` (`make test-duckdb`, `make test-spark`) hands out one unit at a time,
    in collection order, to whichever worker has no more than two tests queued: a unit is
    a test, or the tests that share a module-scoped fixture (_module_fixture_units).

    pytest-xdist's own `--dist load` sends each worker a first batch of a quarter of the
    tests, so one worker got every long test and the other sat idle for four minutes;
    its `--dist loadgroup` groups nothing with pytest 9.2 (pytest-xdist issue #1386)."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path, _, name = nodeid.partition("::")
            units = _module_fixture_units(str(config.rootpath / path))
            return units.get(name.split("[")[0], nodeid)

    config.option.loadscopereorder = False  # keep the collection order below
    return SharedFixtureScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    """Spark-only tests are deselected on DuckDB; `make test` runs them in test-spark.
    The tests that build warehouses start first, the `fast` ones fill in at the end, so
    that no long test starts when the other worker has nothing left to do (a stable
    sort: each file's own order is kept)."""
    items.sort(key=lambda item: item.get_closest_marker("fast") is not None)
    if ENGINE == "spark":
        return
    spark_only = [item for item in items if item.get_closest_marker("spark")]
    if spark_only:
        config.hook.pytest_deselected(items=spark_only)
        items[:] = [item for item in items if not item.get_closest_marker("spark")]


@pytest.fixture(scope="session")
def e2e_run(tmp_path_factory) -> dict:
    """`wa-reports run` then `export` on tests/e2e_landing.py, once per session (and
    worker), in this process (`wa_here`)."""
    root = tmp_path_factory.mktemp("e2e")
    landing = build(root / "landing")
    warehouse = root / "warehouse.duckdb"
    run = wa_here("run", "--landing-dir", str(landing), "--warehouse", str(warehouse))
    exported = wa_here("export", "--warehouse", str(warehouse), "--out", str(root / "out"))
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
