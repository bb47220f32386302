"""The Dagster resources, built from the settings in one place (`build_resources`)."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import BetaWarning, ConfigurableResource

from orchestration import warehouse
from orchestration.dbt.project import WarehouseDbtCliResource, dbt_project
from orchestration.ingest import lake
from orchestration.ingest.sinks import DuckDBSink, ParquetSink, RawSink
from orchestration.settings import DBT_PROFILES_DIR, Settings

# BackfillPolicy and pools are beta in this Dagster version; they are used on purpose.
warnings.filterwarnings("ignore", category=BetaWarning)

# Every asset that writes the warehouse runs in this pool: DuckDB allows one writer.
WAREHOUSE_POOL = "duckdb_warehouse"


class WarehouseResource(ConfigurableResource):
    """The DuckDB file the raw loads and dbt write, and the landing folder they read.

    On Spark (`engine="spark"`) the loads and dbt write Parquet under `lake_dir`, and
    the DuckDB file is a catalog of views over it (orchestration/ingest/lake.py)."""

    path: str
    landing_dir: str
    serving_dir: str
    engine: str = "duckdb"
    lake_dir: str = ""
    # Required: `build_resources` passes them from the settings, which hold the defaults.
    quarantine_threshold: float
    load_workers: int
    memory_limit: str

    def connect(self) -> duckdb.DuckDBPyConnection:
        return warehouse.connect(Path(self.path), memory_limit=self.memory_limit or None)

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    def settings(self) -> Settings:
        """The settings this resource was built from (`build_resources`)."""
        return Settings(
            Path(self.landing_dir),
            Path(self.path),
            self.quarantine_threshold,
            Path(self.serving_dir),
            self.engine,
            self.load_workers,
            self.memory_limit or None,
        )

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


def build_resources(settings: Settings) -> dict[str, object]:
    """Every resource from `settings`; the dbt resource starts dbt with `settings.dbt_env()`."""
    return {
        "warehouse": WarehouseResource(
            path=str(settings.warehouse),
            landing_dir=str(settings.landing_dir),
            serving_dir=str(settings.serving),
            engine=settings.engine,
            lake_dir=str(settings.lake),
            quarantine_threshold=settings.quarantine_threshold,
            load_workers=settings.load_workers,
            memory_limit=settings.memory_limit or "",
        ),
        "dbt": WarehouseDbtCliResource(
            project_dir=dbt_project,
            profiles_dir=str(DBT_PROFILES_DIR),
            dbt_executable=str(Path(sys.executable).parent / "dbt"),
            environment=settings.dbt_env(),
        ),
    }
