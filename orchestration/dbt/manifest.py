"""Keep dbt's manifest.json in step with the project files it is parsed from."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.dbt.invocation import PARTIAL_PARSE, run_dbt

_WATCHED = ("models", "seeds", "tests/dbt", "dbt_project", "analyses")


def _newest_source_mtime(project_dir: Path) -> float:
    newest = (project_dir / "dbt_project.yml").stat().st_mtime
    for folder in _WATCHED:
        for path in (project_dir / folder).rglob("*"):
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    return newest


def ensure_manifest(project: DbtProject) -> Path:
    """Run `dbt parse` when the manifest is missing or older than a project file: the dbt
    installed beside this interpreter (dagster-dbt's own preparer calls `dbt` by name,
    from whatever PATH the caller has). dbt writes into a folder of its own, and the
    manifest and partial-parse state are then renamed into the project's target folder,
    so processes that parse at once (test workers) never read a half-written manifest.

    The parse is for the DuckDB target whatever the engine: Dagster reads only the nodes,
    their names and their dependencies from it, which no engine changes, and the Spark
    target would need the lake folder of settings this function does not have."""
    manifest = project.manifest_path
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime(project.project_dir):
        return manifest
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="parse-", dir=manifest.parent) as folder:
        parsed = run_dbt(
            "parse", "--quiet", target=Path(folder), env=os.environ | {"WA_DBT_TARGET": "duckdb"}
        )
        if parsed.returncode != 0:
            raise RuntimeError(f"`dbt parse` of {project.project_dir} failed: see its output above")
        for name in (PARTIAL_PARSE, manifest.name):
            if (Path(folder) / name).exists():
                os.replace(Path(folder) / name, manifest.parent / name)
    return manifest
