"""The daily schedule and the landing sensor produce the right run requests."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest
from dagster import (
    SkipReason,
    asset,
    build_schedule_context,
    build_sensor_context,
    materialize,
)

from orchestration.partitions import (
    PARTITION_TAG,
    RANGE_END_TAG,
    RANGE_START_TAG,
    daily_partitions,
    run_partition_window,
)
from orchestration.schedules import (
    changed_partitions,
    daily_schedule,
    landing_sensor,
    partition_fingerprints,
)
from tests.landing_builders import api_line, write_lines

pytestmark = pytest.mark.fast  # no warehouse built from landing data


def test_the_schedule_runs_after_midnight_utc_for_yesterday():
    assert daily_schedule.cron_schedule == "0 1 * * *"
    assert daily_schedule.execution_timezone == "UTC"
    context = build_schedule_context(
        scheduled_execution_time=datetime(2022, 11, 26, 1, 0, tzinfo=UTC)
    )
    requests = daily_schedule.evaluate_tick(context).run_requests
    assert [r.partition_key for r in requests] == ["2022-11-25"]


def test_changed_partitions_are_new_or_changed_and_inside_the_definition():
    previous = {"2022-11-25": "a", "2022-11-26": "b"}
    current = {"2022-11-25": "a", "2022-11-26": "c", "2022-11-27": "d", "2021-12-31": "e"}
    assert changed_partitions(previous, current) == ["2022-11-26", "2022-11-27"]


def _evaluate(monkeypatch, landing, cursor):
    from orchestration.resources import build_resources
    from orchestration.settings import Settings

    resources = build_resources(Settings(landing, landing.parent / "w.duckdb"))
    context = build_sensor_context(cursor=cursor, resources=resources)
    results = list(landing_sensor(context))
    return results, context.cursor


def test_the_sensor_requests_a_run_for_each_new_or_grown_partition(monkeypatch, tmp_path):
    landing = tmp_path / "landing"
    write_lines(landing / "api_logs/dt=2022-11-25/a.jsonl", [api_line("r1")])
    write_lines(landing / "webhook_logs/dt=2022-11-26/a.jsonl", ["{}"])

    results, cursor = _evaluate(monkeypatch, landing, None)
    assert [(r.partition_key, r.run_key.split(":")[0]) for r in results] == [
        ("2022-11-25", "2022-11-25"),
        ("2022-11-26", "2022-11-26"),
    ]
    assert set(json.loads(cursor)) == {"2022-11-25", "2022-11-26"}

    results, cursor = _evaluate(monkeypatch, landing, cursor)
    assert len(results) == 1 and isinstance(results[0], SkipReason)

    # A late file in an old partition, and a file that grew in another.
    write_lines(landing / "api_logs/dt=2022-11-25/late.jsonl", [api_line("r2")])
    grown = landing / "webhook_logs/dt=2022-11-26/a.jsonl"
    with grown.open("a") as handle:
        handle.write("{}\n")
    os.utime(grown, ns=(1, 2))
    results, cursor = _evaluate(monkeypatch, landing, cursor)
    assert sorted(r.partition_key for r in results) == ["2022-11-25", "2022-11-26"]
    assert json.loads(cursor) == partition_fingerprints(landing)


def test_a_scheduled_partition_is_a_one_day_window():
    context = build_schedule_context(
        scheduled_execution_time=datetime(2022, 11, 26, 1, 0, tzinfo=UTC)
    )
    (request,) = daily_schedule.evaluate_tick(context).run_requests
    assert run_partition_window(request.tags | {PARTITION_TAG: request.partition_key}) == (
        "2022-11-25",
        "2022-11-25",
    )


def test_a_backfill_range_is_its_first_and_last_day():
    tags = {
        RANGE_START_TAG: "2022-11-01",
        RANGE_END_TAG: "2022-11-30",
    }
    assert run_partition_window(tags) == ("2022-11-01", "2022-11-30")


def test_a_run_without_partitions_has_no_window_and_bad_dates_are_refused():
    assert run_partition_window({"dagster/backfill": "abc"}) is None
    with pytest.raises(ValueError):
        run_partition_window({PARTITION_TAG: "2022-11-25'; drop table x; --"})
    with pytest.raises(ValueError, match="ends before it starts"):
        run_partition_window(
            {
                RANGE_START_TAG: "2022-11-30",
                RANGE_END_TAG: "2022-11-01",
            }
        )


def test_a_partitioned_run_carries_the_tag_the_window_reads():
    seen = []

    @asset(partitions_def=daily_partitions)
    def probe(context) -> None:
        seen.append(run_partition_window(context.run.tags))

    materialize([probe], partition_key="2022-11-25")
    assert seen == [("2022-11-25", "2022-11-25")]


def test_the_range_tags_are_dagsters():
    """Dagster names the tags of a single-run backfill in a private module only; the
    window's copies of their names must stay equal to them."""
    from dagster._core.storage import tags

    assert (RANGE_START_TAG, RANGE_END_TAG, PARTITION_TAG) == (
        tags.ASSET_PARTITION_RANGE_START_TAG,
        tags.ASSET_PARTITION_RANGE_END_TAG,
        tags.PARTITION_NAME_TAG,
    )
