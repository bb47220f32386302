"""The one daily partitions definition, shared by every partitioned asset.

A partition is a landing `dt` folder: the UTC date on which the platform logged the
lines (raw-logs.md), not the date of the events inside them.
"""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date

from dagster import DailyPartitionsDefinition
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG as RANGE_END_TAG
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_START_TAG as RANGE_START_TAG
from dagster._core.storage.tags import PARTITION_NAME_TAG as PARTITION_TAG

# Conversation-based pricing, the oldest era the rules cover, began on 2022-02-01.
FIRST_PARTITION = "2022-01-01"

daily_partitions = DailyPartitionsDefinition(start_date=FIRST_PARTITION, timezone="UTC")

# How the run's partitions reach dbt: two environment variables, read by the macro
# `reloaded_partitions` (dbt_project/macros/incremental_partitions.sql) only while
# models execute, so a new window never forces dbt to re-parse the project (a new
# `--vars` value would: 8-9 s).
WINDOW_FROM_ENV = "WA_PARTITIONS_FROM"
WINDOW_TO_ENV = "WA_PARTITIONS_TO"


def run_partition_window(tags: Mapping[str, str]) -> tuple[str, str] | None:
    """A run's first and last partition (`dt`), from its tags.

    One partition (`dagster/partition`: a schedule tick, a sensor request) or a range (a
    single-run backfill) gives its first and last day; a run without partitions (a
    manual materialization of the dbt assets) gives None. The dates are parsed as dates,
    so they are never passed on as free text into SQL."""
    start = tags.get(RANGE_START_TAG) or tags.get(PARTITION_TAG)
    end = tags.get(RANGE_END_TAG) or tags.get(PARTITION_TAG)
    if not start or not end:
        return None
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if first > last:
        raise ValueError(f"partition window {start} .. {end} ends before it starts")
    return first.isoformat(), last.isoformat()


def dbt_partition_window(tags: Mapping[str, str]) -> dict[str, str]:
    """The environment that gives dbt the run's window (none for a run without
    partitions: dbt then replaces only the partitions loaded since each model last ran)."""
    window = run_partition_window(tags)
    return dict(zip((WINDOW_FROM_ENV, WINDOW_TO_ENV), window, strict=True)) if window else {}


@contextmanager
def dbt_partition_env(tags: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """Set the window's variables for the dbt subprocess started inside the block (the
    run holds the warehouse pool, so no other dbt call in this process sees them)."""
    window = dbt_partition_window(tags)
    saved = {name: os.environ.get(name) for name in (WINDOW_FROM_ENV, WINDOW_TO_ENV)}
    for name in saved:
        os.environ.pop(name, None)
    os.environ.update(window)
    try:
        yield window
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
