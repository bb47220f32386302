"""How a dbt build reports to Dagster: assets grouped by layer, a progress line per model,
row counts from the warehouse, old invocation folders pruned, and failed nodes named with
what to do."""

import logging
import shutil
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetMaterialization, Output
from dagster_dbt import DagsterDbtTranslator

from orchestration import warehouse

# One line per model or seed as dbt finishes it, for whoever listens (`wa-reports run`
# prints them: orchestration/runner.py); Dagster's own log has the full events.
progress = logging.getLogger("whatsapp_reports.dbt_progress")
# Invocation folders kept beside the newest: enough to read the last runs' compiled SQL
# and dbt.log. Any folder is kept while it is younger than an hour (a run may be using it).
KEPT_INVOCATION_FOLDERS = 5
INVOCATION_FOLDER_MAX_AGE_S = 3600


def report_progress(events: Iterator, started: float) -> Iterator:
    """Pass dbt's events on, logging a line per model or seed as dbt finishes it."""
    for event in events:
        if isinstance(event, Output | AssetMaterialization) and "unique_id" in event.metadata:
            model = event.metadata["unique_id"].text.split(".")[-1]
            progress.info(f"  dbt built {model} ({time.monotonic() - started:.0f}s)")
        yield event


def with_row_counts(events: list, manifest: dict, warehouse_path: Path) -> Iterator:
    """Add `dagster/row_count` to each model and seed output.

    Counted after dbt has exited: DuckDB lets one process write the file, and the dbt
    subprocess is that process while it runs.
    """
    with warehouse.connect(warehouse_path, read_only=True) as conn:
        for event in events:
            if isinstance(event, Output | AssetMaterialization) and "unique_id" in event.metadata:
                node = manifest["nodes"].get(event.metadata["unique_id"].text, {})
                if node.get("resource_type") in ("model", "seed"):
                    (rows,) = conn.execute(
                        f'select count(*) from "{node["schema"]}"."{node["alias"]}"'
                    ).fetchone()
                    event = event.with_metadata({**event.metadata, "dagster/row_count": rows})
            yield event


class LayerGroups(DagsterDbtTranslator):
    """Each dbt asset in the group of its layer, its schema: `reference` (seeds),
    `staging`, `intermediate`, `marts` (the raw loads are `raw`, the serving copy
    `serving`), so the UI's asset graph reads as the architecture does."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props.get("schema") or super().get_group_name(dbt_resource_props)


def prune_invocation_folders(invocation_target: Path, now: float | None = None) -> list[Path]:
    """Remove the old target folders of this asset's invocations; return them.

    dagster-dbt runs each invocation in a folder of its own under the project's
    `target/` (`<op>-<run id>-<uuid>`: compiled SQL, run_results.json, dbt.log, about
    6 MB) and never removes it, so a daily schedule, its backfills and test runs fill the
    disk (3.4 GB here after a few days of test runs). A folder goes once it is neither
    among the newest KEPT_INVOCATION_FOLDERS nor younger than an hour (its last change:
    the folder or its dbt.log): another run may still be writing a young one.
    """
    now = time.time() if now is None else now
    op_name = invocation_target.name.split("-", 1)[0]

    def last_change(folder: Path) -> float:
        log = folder / "dbt.log"
        return max(folder.stat().st_mtime, log.stat().st_mtime if log.exists() else 0.0)

    changed_at = {
        p: last_change(p) for p in invocation_target.parent.glob(f"{op_name}-*") if p.is_dir()
    }
    newest_first = sorted(changed_at, key=changed_at.__getitem__, reverse=True)
    removed = [
        folder
        for folder in newest_first[KEPT_INVOCATION_FOLDERS:]
        if folder != invocation_target and now - changed_at[folder] > INVOCATION_FOLDER_MAX_AGE_S
    ]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


def failed_nodes(invocation) -> str:
    """The dbt nodes that errored or failed, named as dbt names them."""
    results = invocation.get_artifact("run_results.json").get("results", [])
    failed = [r for r in results if r.get("status") in ("error", "fail", "runtime error")]
    named = ", ".join(r["unique_id"].split(".", 2)[-1] for r in failed) or "see the dbt log"
    messages = [r.get("message") or "" for r in failed]
    if any(sign in message for message in messages for sign in SCHEMA_CHANGED):
        named += f" ({FULL_REFRESH_HINT})"
    return named


# What a model's build says when its table has the columns of an earlier version: dbt's
# words (on_schema_change: fail), or DuckDB's when a pre-hook reads a column the table
# lacks. And what to do then.
SCHEMA_CHANGED = ("out of sync", "Referenced column")
FULL_REFRESH_HINT = (
    "their columns changed in this version: run `wa-reports run --full-refresh` once"
)
