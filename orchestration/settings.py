"""Every setting in one place: the `WA_*` variables, read and checked once, each with its
default, and the environment each dbt process gets from them.

The path is one way: `Settings.from_env()` -> `resources.build_resources(settings)` ->
the Dagster resources, whose dbt resource starts dbt with `settings.dbt_env()`. Nothing
writes this process's environment. dbt started by hand reads the same variables through
`dbt_project/profiles.yml` and the warehouse plugin, which takes its defaults from here.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
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


def default_load_workers() -> int:
    """Processes that parse landing files at once, unless `WA_LOAD_WORKERS` says: one per
    core, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


def _workers(text: str | None) -> int:
    if text is None or text == "":
        return default_load_workers()
    if not (text.isascii() and text.isdigit() and int(text) >= 1):
        raise SettingsError(f"WA_LOAD_WORKERS={text!r} is not a whole number of at least 1")
    return int(text)


MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def _memory_limit(text: str | None) -> str | None:
    """`WA_MEMORY_LIMIT`: DuckDB's memory limit in the loader and dbt; unset, DuckDB's own
    (80 % of the machine's memory)."""
    if not text or not text.strip():
        return None
    if not MEMORY_SIZE.fullmatch(text.strip()):
        raise SettingsError(f"WA_MEMORY_LIMIT={text!r} is not a size such as 3GB or 500MB")
    return text.strip()


def _record_runs(text: str | None) -> bool:
    """`WA_RECORD_RUNS`: `1` (the default) or `0`."""
    if text in (None, "", "1"):
        return True
    if text == "0":
        return False
    raise SettingsError(f"WA_RECORD_RUNS={text!r} is not 1 (record runs, the default) or 0")


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path
    quarantine_threshold: float = DEFAULT_QUARANTINE_THRESHOLD
    serving_dir: Path | None = None
    engine: str = "duckdb"
    load_workers: int = field(default_factory=default_load_workers)
    memory_limit: str | None = None
    # `wa-reports run` records its runs in the Dagster instance `make dev` shows
    # (`dagster_home`); False: in a throw-away instance, about 6 s faster a run.
    record_runs: bool = field(
        default_factory=lambda: _record_runs(os.environ.get("WA_RECORD_RUNS"))
    )

    @property
    def serving(self) -> Path:
        """The serving copy's folder: `WA_SERVING_DIR`, else `serving/` beside the warehouse."""
        return self.serving_dir or self.warehouse.parent / "serving"

    @property
    def lake(self) -> Path:
        """On Spark, the folder of Parquet tables (raw loads and Spark's own warehouse),
        beside the warehouse file, which then holds DuckDB views over those files."""
        return self.warehouse.parent / "lake"

    @property
    def dagster_home(self) -> Path:
        """The Dagster instance (runs, events, checks) that `wa-reports run` and `make dev`
        share: `DAGSTER_HOME` when set, else `dagster/` beside the warehouse."""
        configured = os.environ.get("DAGSTER_HOME")
        return Path(configured).resolve() if configured else self.warehouse.parent / "dagster"

    @classmethod
    def from_env(
        cls, landing_dir: str | Path | None = None, warehouse: str | Path | None = None
    ) -> Settings:
        landing = landing_dir or os.environ.get("WA_LANDING_DIR", DEFAULT_LANDING_DIR)
        wh = warehouse or os.environ.get("WA_WAREHOUSE", DEFAULT_WAREHOUSE)
        threshold = _threshold(
            os.environ.get("WA_QUARANTINE_THRESHOLD", str(DEFAULT_QUARANTINE_THRESHOLD))
        )
        workers = _workers(os.environ.get("WA_LOAD_WORKERS"))
        memory_limit = _memory_limit(os.environ.get("WA_MEMORY_LIMIT"))
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
            workers,
            memory_limit,
        )

    def dbt_env(self) -> dict[str, str]:
        """The variables a dbt process reads (`dbt_project/profiles.yml`,
        `orchestration/dbt/warehouse_plugin.py`), laid over the caller's environment when
        dbt starts; PATH starts with the folder of this interpreter, as in an activated
        virtual environment, so what dbt starts by name is what is installed beside it."""
        return {
            "WA_WAREHOUSE": str(self.warehouse),
            "WA_ENGINE": self.engine,
            "WA_LAKE_DIR": str(self.lake),
            "WA_SERVING_DIR": str(self.serving),
            "WA_MEMORY_LIMIT": self.memory_limit or "",
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        }
