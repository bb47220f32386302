"""The one daily partitions definition, shared by every partitioned asset.

A partition is a landing `dt` folder: the UTC date on which the platform logged the
lines (docs/landing.md), not the date of the events inside them.
"""

from collections.abc import Mapping
from datetime import date

from dagster import DailyPartitionsDefinition

# Dagster's run tags for one partition and for a partition range (a single-run backfill),
# as its documentation names them; `tests/test_schedules.py` checks them against the
# runs Dagster itself makes for a partition and a backfill.
PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"

# Conversation-based pricing, the oldest era the rules cover, began on 2022-02-01.
FIRST_PARTITION = "2022-01-01"

daily_partitions = DailyPartitionsDefinition(start_date=FIRST_PARTITION, timezone="UTC")


def run_partition_window(tags: Mapping[str, str]) -> tuple[str, str] | None:
    """A run's first and last partition (`dt`), from its tags: the days whose loads the
    raw checks judge.

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
