"""Resources: the DuckDB warehouse and landing paths, and the dbt project."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

import duckdb
from dagster import BetaWarning, ConfigurableResource
from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.compat import DBT_PYTHON_VERSION
from packaging.version import Version

from orchestration import lake, warehouse
from orchestration.ingest.sinks import DuckDBSink, ParquetSink, RawSink
from orchestration.settings import DBT_PROFILES_DIR, DBT_PROJECT_DIR, Settings

# dagster-dbt and its project preparer call `dbt` by name: make it the one installed
# beside this interpreter, even when the caller's PATH does not hold the venv.
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
# BackfillPolicy and pools are beta in this Dagster version; they are used on purpose.
warnings.filterwarnings("ignore", category=BetaWarning)

# Every asset that writes the warehouse runs in this pool: DuckDB allows one writer.
WAREHOUSE_POOL = "duckdb_warehouse"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROFILES_DIR)


class WarehouseResource(ConfigurableResource):
    """The DuckDB file the raw loads and dbt write, and the landing folder they read.

    On Spark (`engine="spark"`) the loads and dbt write Parquet under `lake_dir`, and
    the DuckDB file is a catalog of views over it (orchestration/lake.py)."""

    path: str
    landing_dir: str
    serving_dir: str
    engine: str = "duckdb"
    lake_dir: str = ""

    def connect(self) -> duckdb.DuckDBPyConnection:
        return warehouse.connect(Path(self.path))

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    @contextmanager
    def raw_sink(self) -> Iterator[RawSink]:
        """Where the loader writes on this engine; on Spark, the views follow."""
        if self.engine == "spark":
            yield ParquetSink(Path(self.lake_dir))
            self.refresh_catalog()
        else:
            with self.connect() as conn:
                yield DuckDBSink(conn)
                conn.execute("checkpoint")  # the WAL the sink let grow (ingest/sinks.py)

    def refresh_catalog(self) -> None:
        if self.engine == "spark":
            lake.refresh_catalog(Path(self.lake_dir), Path(self.path))


class WarehouseDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource, without two things it does in this process before
    every invocation and this project never uses (about 3 s a run in all):

    - a `dbt --version` subprocess, to tell dbt-core from the Fusion engine. The
      executable here is always the dbt-core installed beside this interpreter
      (`build_resources` names it), whose version dagster-dbt has already imported;
    - a dbt adapter of its own (the profile, the project's macros, a connection
      manager: 1.5 s), which only its `fetch_row_counts()` and `fetch_column_metadata()`
      use. The row counts come from the warehouse instead (assets/dbt.py); with no
      adapter, those two would add nothing.

    `tests/test_dbt_resource.py` fails if dagster-dbt runs the subprocess or builds the
    adapter through another way."""

    @cached_property
    def _cli_version(self) -> Version:
        return DBT_PYTHON_VERSION

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


def build_resources(settings: Settings) -> dict[str, object]:
    settings.export_env()
    return {
        "warehouse": WarehouseResource(
            path=str(settings.warehouse),
            landing_dir=str(settings.landing_dir),
            serving_dir=str(settings.serving),
            engine=settings.engine,
            lake_dir=str(settings.lake),
        ),
        "dbt": WarehouseDbtCliResource(
            project_dir=dbt_project,
            profiles_dir=str(DBT_PROFILES_DIR),
            dbt_executable=str(Path(sys.executable).parent / "dbt"),
        ),
    }
