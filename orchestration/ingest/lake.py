"""The lake: where the Spark engine's tables live, as Parquet files.

    <lake>/raw/<table>/dt=<dt>/<name>.parquet      written by the loader (ParquetSink)
    <lake>/raw/phone_numbers/phone_numbers.parquet
    <lake>/spark-warehouse/<schema>.db/<table>/     written by Spark (dbt's models, seeds)
    <lake>/metastore_db/                            Spark's Derby metastore

Everything in Python that reads the warehouse (checks, exports, the serving copy, the
stakeholder report) reads DuckDB. On Spark, the warehouse file is therefore a catalog
of DuckDB views over these Parquet files, under the same schema and table names as on
DuckDB, rebuilt after each load and each dbt build. It is written under a temporary
name and renamed into place, so it is never locked for long.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from orchestration.ingest.raw_schema import RAW_DDL

NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # Spark's (and Hive's) folder for dt NULL
RAW_TABLES = ("api_logs", "webhook_logs", "phone_numbers", "wabas", "quarantine", "load_ledger")
UNPARTITIONED = ("phone_numbers", "wabas")  # the registries: no dt, one file replaced whole
MODEL_SCHEMAS = ("reference", "staging", "changes", "intermediate", "marts")
SPARK_WAREHOUSE = "spark-warehouse"


def raw_file(lake_dir: Path, table: str, dt: str | None, name: str) -> Path:
    if table in UNPARTITIONED:
        return lake_dir / "raw" / table / f"{name}.parquet"
    return lake_dir / "raw" / table / f"dt={dt or NULL_PARTITION}" / f"{name}.parquet"


def _has_parquet(folder: Path) -> bool:
    return any(folder.rglob("*.parquet"))


def _scan(folder: Path) -> str:
    # union_by_name: files written before a column was added (the ledger's) read as NULL.
    return f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true, union_by_name = true)"


def refresh_catalog(lake_dir: Path, catalog: Path) -> None:
    """(Re)write `catalog` as DuckDB views over every table found in `lake_dir`."""
    catalog.parent.mkdir(parents=True, exist_ok=True)
    staged = catalog.with_name(f".{catalog.name}.{os.getpid()}.tmp")
    staged.unlink(missing_ok=True)
    with duckdb.connect(str(staged)) as conn:
        # Empty raw tables first (typed by the loader's DDL), replaced by views where
        # the loader has written files.
        conn.execute(RAW_DDL)
        for table in RAW_TABLES:
            folder = lake_dir / "raw" / table
            if folder.is_dir() and _has_parquet(folder):
                conn.execute(f"drop table raw.{table}")
                conn.execute(f"create view raw.{table} as select * from {_scan(folder)}")
        for schema in MODEL_SCHEMAS:
            schema_dir = lake_dir / SPARK_WAREHOUSE / f"{schema}.db"
            tables = sorted(p for p in schema_dir.glob("*") if p.is_dir() and _has_parquet(p))
            if tables:
                conn.execute(f"create schema if not exists {schema}")
            for folder in tables:
                conn.execute(f"create view {schema}.{folder.name} as select * from {_scan(folder)}")
    os.replace(staged, catalog)
