"""Run a Great Expectations suite over a pandas frame (GX 1.x, ephemeral, nothing on disk).

The warehouse is queried with DuckDB and GX validates the resulting frame: the SQL
datasource over duckdb-engine fails every metric with GX 1.24 (GX closes the connection
before it reads), the pandas datasource works. Each frame is small (one row per
partition, file, group or offending key), so validation takes a fraction of a second.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pandas as pd


@dataclass
class Outcome:
    """What a check found: pass or fail, how many rows broke it, a few of their keys."""

    passed: bool
    failing_count: int = 0
    samples: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        if self.passed:
            return "ok"
        shown = ", ".join(self.samples)
        return (
            f"{self.failing_count} failing ({shown})" if shown else f"{self.failing_count} failing"
        )


@cache
def _batch_definition():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("warehouse_frames").add_dataframe_asset("frame")
    return context, asset.add_batch_definition_whole_dataframe("whole_frame")


def validate(
    name: str, frame: pd.DataFrame, expectations: list, key_columns: list[str], samples: int = 5
) -> Outcome:
    """Validate `frame` against `expectations`; failing rows are named by `key_columns`."""
    import great_expectations as gx

    context, batch_definition = _batch_definition()
    if context.suites.all() and name in {s.name for s in context.suites.all()}:
        context.suites.delete(name)
    suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
    if frame.empty:
        frame = frame.copy()
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
        suite,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": key_columns},
    )
    failing_keys: list[str] = []
    failing_count = 0
    for item in result.results:
        if item.success:
            continue
        rows = item.result.get("unexpected_index_list") or []
        failing_count = max(failing_count, item.result.get("unexpected_count") or 1)
        for row in rows:
            key = "/".join(str(row[c]) for c in key_columns if c in row)
            if key not in failing_keys:
                failing_keys.append(key)
    return Outcome(
        passed=bool(result.success),
        failing_count=max(failing_count, len(failing_keys)) if not result.success else 0,
        samples=failing_keys[:samples],
    )
