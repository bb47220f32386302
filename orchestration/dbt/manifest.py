"""Keep dbt's manifest.json in step with the project files it is parsed from."""

from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtProject

_WATCHED = ("models", "seeds", "tests/dbt", "dbt_project", "analyses")


def _newest_source_mtime(project_dir: Path) -> float:
    newest = (project_dir / "dbt_project.yml").stat().st_mtime
    for folder in _WATCHED:
        for path in (project_dir / folder).rglob("*"):
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    return newest


def ensure_manifest(project: DbtProject) -> Path:
    """Run `dbt parse` when the manifest is missing or older than a project file."""
    manifest = project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime(
        project.project_dir
    ):
        project.preparer.prepare(project)
    return manifest
