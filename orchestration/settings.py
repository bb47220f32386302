"""Every environment choice in one place: paths, the dbt project, thresholds.

Both Dagster and dbt read the warehouse path from `WA_WAREHOUSE` (dbt through the
plugin its profile names), so a scheduler, the CLI and a person running dbt by hand all
point at the same file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT
DBT_PROFILES_DIR = PROJECT_ROOT / "dbt_project"

DEFAULT_LANDING_DIR = "data/landing"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"
# The engine dbt runs the models on: the embedded DuckDB, or Spark (README, "On Spark").
ENGINES = ("duckdb", "spark")
# R26: a partition whose quarantined share of lines passes this fails a warning check.
DEFAULT_QUARANTINE_THRESHOLD = 0.01


class SettingsError(ValueError):
    """A `WA_*` variable holds a value the warehouse cannot use; the message names it."""


def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise SettingsError(
            f"WA_QUARANTINE_THRESHOLD={text!r} is not a share from 0 to 1 (default "
            f"{DEFAULT_QUARANTINE_THRESHOLD})"
        )
    return value


def _check_workers(text: str | None) -> None:
    if text is not None and not (text.isascii() and text.isdigit() and int(text) >= 1):
        raise SettingsError(f"WA_LOAD_WORKERS={text!r} is not a whole number of at least 1")


MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def _check_memory_limit(text: str | None) -> None:
    if text and not MEMORY_SIZE.fullmatch(text.strip()):
        raise SettingsError(f"WA_MEMORY_LIMIT={text!r} is not a size such as 3GB or 500MB")


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path
    quarantine_threshold: float = DEFAULT_QUARANTINE_THRESHOLD
    serving_dir: Path | None = None
    engine: str = "duckdb"

    @property
    def serving(self) -> Path:
        """The serving copy's folder: `WA_SERVING_DIR`, else `serving/` beside the warehouse."""
        return self.serving_dir or self.warehouse.parent / "serving"

    @property
    def lake(self) -> Path:
        """On Spark, the folder of Parquet tables (raw loads and Spark's own warehouse),
        beside the warehouse file, which then holds DuckDB views over those files."""
        return self.warehouse.parent / "lake"

    @classmethod
    def from_env(
        cls, landing_dir: str | Path | None = None, warehouse: str | Path | None = None
    ) -> Settings:
        landing = landing_dir or os.environ.get("WA_LANDING_DIR", DEFAULT_LANDING_DIR)
        wh = warehouse or os.environ.get("WA_WAREHOUSE", DEFAULT_WAREHOUSE)
        threshold = _threshold(
            os.environ.get("WA_QUARANTINE_THRESHOLD", str(DEFAULT_QUARANTINE_THRESHOLD))
        )
        _check_workers(os.environ.get("WA_LOAD_WORKERS"))
        _check_memory_limit(os.environ.get("WA_MEMORY_LIMIT"))
        serving = os.environ.get("WA_SERVING_DIR")
        engine = os.environ.get("WA_ENGINE") or "duckdb"
        if engine not in ENGINES:
            raise SettingsError(f"WA_ENGINE={engine!r} is not one of {', '.join(ENGINES)}")
        return cls(
            Path(landing).resolve(),
            Path(wh).resolve(),
            threshold,
            Path(serving).resolve() if serving else None,
            engine,
        )

    def export_env(self) -> None:
        """Make child processes (dbt) and Dagster resources see the same paths."""
        os.environ["WA_LANDING_DIR"] = str(self.landing_dir)
        os.environ["WA_WAREHOUSE"] = str(self.warehouse)
        os.environ["WA_SERVING_DIR"] = str(self.serving)
        os.environ["WA_ENGINE"] = self.engine
        os.environ["WA_LAKE_DIR"] = str(self.lake)
