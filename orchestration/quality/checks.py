"""The warehouse's data-quality checks that dbt does not state best, each a query and a
Great Expectations suite: the raw loads (required fields, quarantine rate, ledger,
damaged files, stray landing paths), the registry, and the R30 counts. The marts' rules
are dbt tests beside the models: each rule has one home.

Every check reads a small frame (one row per partition, file, group or key) and states
the rule as expectations over it, so a failure names the partitions, files or report
rows that break it. Severity ERROR blocks what is downstream; WARN only reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import great_expectations.expectations as gxe

from orchestration.ingest import landing
from orchestration.quality.expectations import Outcome, validate

KNOWN_STATUSES = ("sent", "delivered", "read", "failed", "deleted", "played", "warning")


@dataclass(frozen=True)
class CheckScope:
    """What a check run judges: the quarantine threshold, the run's partition window
    (first and last `dt`, from orchestration/partitions.py; None: every partition), and
    the landing folder the run read."""

    quarantine_threshold: float
    window: tuple[str, str] | None = None
    landing_dir: Path | None = None

    def dt_filter(self) -> str:
        """A SQL predicate on `dt`: the window's partitions. The dates were parsed as
        dates (partitions.run_partition_window), so they are safe to inline."""
        if self.window is None:
            return "true"
        return f"dt between date '{self.window[0]}' and date '{self.window[1]}'"


# How a check judges the warehouse: a read-only connection and its scope in, an outcome out.
Evaluate = Callable[["duckdb.DuckDBPyConnection", "CheckScope"], "Outcome"]


@dataclass(frozen=True)
class Check:
    name: str
    asset: str  # the asset key path, as `raw/api_logs`
    severity: str  # "ERROR" or "WARN"
    rule: str
    evaluate: Evaluate


def _pairs_equal(pairs: list[tuple[str, str]]) -> list:
    return [gxe.ExpectColumnPairValuesToBeEqual(column_A=a, column_B=b) for a, b in pairs]


def _zero(columns: list[str]) -> list:
    return [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=0) for c in columns]


# -- raw loads --------------------------------------------------------------------------
REQUIRED_SQL = {
    "api_logs": """
        -- One parse per list of paths, not one per path.
        with fields as (
            select dt, source_file, received_at,
                json_extract_string(raw_line, ['$.request_id', '$.waba_id', '$.from',
                    '$.response.http_status']) as strings,
                json_type(raw_line, ['$.to', '$.response.recipients']) as types
            from raw.api_logs where {dt_filter}
        )
        select cast(dt as varchar) as dt, source_file, count(*) as rows_loaded,
            count(*) filter (where received_at is null
                or strings[1] is null or strings[2] is null or strings[3] is null
                or types[1] is distinct from 'ARRAY' or types[2] is distinct from 'ARRAY')
                as rows_missing_required,
            count(*) filter (where try_cast(strings[4] as integer) is null)
                as rows_with_bad_types
        from fields group by all""",
    "webhook_logs": """
        select cast(dt as varchar) as dt, source_file, count(*) as rows_loaded,
            count(*) filter (where received_at is null
                or json_type(raw_line, '$.body.entry') is distinct from 'ARRAY')
                as rows_missing_required,
            -- Statuses of other fields (`history`, ...) are not read (R26): a line that
            -- has any is left to the loader's validation.
            count(*) filter (where len(list_filter(json_extract_string(raw_line,
                '$.body.entry[*].changes[*].value.statuses[*].timestamp'),
                lambda x: try_cast(x as bigint) is null)) > 0
                and len(list_filter(json_extract_string(raw_line,
                    '$.body.entry[*].changes[*].field'), lambda f: f <> 'messages')) = 0)
                as rows_with_bad_types
        from raw.webhook_logs where {dt_filter} group by all""",
}


def required_fields(source: str) -> Evaluate:
    def evaluate(conn: duckdb.DuckDBPyConnection, scope: CheckScope) -> Outcome:
        # The run's partitions only: older ones were judged when they were loaded.
        frame = conn.execute(REQUIRED_SQL[source].format(dt_filter=scope.dt_filter())).df()
        outcome = validate(
            f"{source}_required_fields",
            frame,
            _zero(["rows_missing_required", "rows_with_bad_types"]),
            ["dt", "source_file"],
        )
        outcome.details["rows_checked"] = int(frame["rows_loaded"].sum()) if len(frame) else 0
        return outcome

    return evaluate


def quarantine_rate(source: str) -> Evaluate:
    def evaluate(conn: duckdb.DuckDBPyConnection, scope: CheckScope) -> Outcome:
        threshold = scope.quarantine_threshold
        frame = conn.execute(
            """
            select cast(dt as varchar) as dt, sum(lines_read) as lines_read,
                sum(lines_quarantined) as lines_quarantined,
                coalesce(sum(lines_quarantined) / nullif(sum(lines_read), 0), 0)
                    as quarantine_rate
            from raw.load_ledger where source = ? group by all""",
            [source],
        ).df()
        outcome = validate(
            f"{source}_quarantine_rate",
            frame,
            [
                gxe.ExpectColumnValuesToBeBetween(
                    column="quarantine_rate", min_value=0, max_value=threshold
                )
            ],
            ["dt"],
        )
        outcome.details["threshold"] = threshold
        outcome.details["max_rate"] = float(frame["quarantine_rate"].max()) if len(frame) else 0.0
        return outcome

    return evaluate


def ledger_reconciles(source: str) -> Evaluate:
    def evaluate(conn: duckdb.DuckDBPyConnection, _: CheckScope) -> Outcome:
        frame = conn.execute(
            f"""
            with loaded as (
                select source_file, count(*) as rows_in_table from raw.{source} group by all
            ), quarantined as (
                select source_file, count(*) as rows_in_quarantine from raw.quarantine
                where source = ? group by all
            )
            select ledger.source_file, ledger.lines_read,
                ledger.lines_loaded + ledger.lines_quarantined
                    + coalesce(ledger.lines_blank, 0) as lines_accounted,
                ledger.lines_loaded, coalesce(loaded.rows_in_table, 0) as rows_in_table,
                ledger.lines_quarantined,
                coalesce(quarantined.rows_in_quarantine, 0) as rows_in_quarantine
            from raw.load_ledger as ledger
            left join loaded using (source_file)
            left join quarantined using (source_file)
            where ledger.source = ?""",
            [source, source],
        ).df()
        return validate(
            f"{source}_ledger",
            frame,
            _pairs_equal(
                [
                    ("lines_read", "lines_accounted"),
                    ("lines_loaded", "rows_in_table"),
                    ("lines_quarantined", "rows_in_quarantine"),
                ]
            ),
            ["source_file"],
        )

    return evaluate


def files_read_to_end(source: str) -> Evaluate:
    """R26: every loaded file was read to its end. A damaged file (truncated or corrupt
    gzip, not gzip at all) keeps the lines before the damage, and stays red in every run
    until the file is replaced or removed: lost lines are never green."""

    def evaluate(conn: duckdb.DuckDBPyConnection, _: CheckScope) -> Outcome:
        frame = conn.execute(
            """
            select source_file, lines_read, read_error is null as read_to_end, read_error
            from raw.load_ledger where source = ? and read_error is not null""",
            [source],
        ).df()
        outcome = validate(
            f"{source}_read_to_end",
            frame,
            [gxe.ExpectColumnValuesToBeInSet(column="read_to_end", value_set=[True])],
            ["source_file"],
        )
        outcome.details["damaged_files"] = len(frame)
        return outcome

    return evaluate


def _landing_paths_under(prefixes: tuple[str, ...] | None) -> Callable:
    """R28: paths the landing layout does not know, under these top folders (None: every
    path outside the log folders), are never read: counted here as a warning."""

    def evaluate(_: duckdb.DuckDBPyConnection, scope: CheckScope) -> Outcome:
        found = landing.unknown_paths(scope.landing_dir) if scope.landing_dir else []
        logs = tuple(f"{source}/" for source in landing.LOG_SOURCES)
        keep = (
            (lambda p: p.startswith(prefixes)) if prefixes else (lambda p: not p.startswith(logs))
        )
        found = [p for p in found if keep(p)]
        return Outcome(
            passed=not found,
            failing_count=len(found),
            samples=found[:5],
            details={"unknown_paths": len(found)},
        )

    return evaluate


def registry_quarantine(registry: str) -> Evaluate:
    """R26/R30: registry rows that could not be read are counted, by file and line."""

    def evaluate(conn: duckdb.DuckDBPyConnection, _: CheckScope) -> Outcome:
        frame = conn.execute(
            """
            select source_file, line_number, reason, false as loaded
            from raw.quarantine where source = ?
            order by source_file, line_number""",
            [registry],
        ).df()
        outcome = validate(
            "registry_quarantine",
            frame,
            [gxe.ExpectColumnValuesToBeInSet(column="loaded", value_set=[True])],
            ["source_file", "line_number"],
        )
        outcome.details["rows_quarantined"] = len(frame)
        return outcome

    return evaluate


# -- statuses and registry ---------------------------------------------------------------
def orphan_and_unknown_statuses(conn: duckdb.DuckDBPyConnection, _: CheckScope) -> Outcome:
    known = ", ".join(f"'{s}'" for s in KNOWN_STATUSES)
    # One scan of the 6M-row table for both counts, one row per kind.
    frame = conn.execute(f"""
        select
            unnest(['orphan statuses', 'unknown status values']) as kind,
            unnest([count(*) filter (where is_orphan),
                count(*) filter (where status not in ({known}))]) as events
        from intermediate.int_status_events_deduplicated""").df()
    outcome = validate("status_anomalies", frame, _zero(["events"]), ["kind"])
    outcome.details.update(
        {row.kind.replace(" ", "_"): int(row.events) for row in frame.itertuples()}
    )
    outcome.failing_count = int(frame["events"].sum())
    return outcome


def wabas_missing_from_registry(conn: duckdb.DuckDBPyConnection, _: CheckScope) -> Outcome:
    """R36/R40: a WABA seen in the logs but not in the `wabas` registry is priced as UTC,
    USD and a portfolio of its own."""
    frame = conn.execute("select waba_id, is_registered from marts.dim_wabas").df()
    return validate(
        "waba_registry_coverage",
        frame,
        [gxe.ExpectColumnValuesToBeInSet(column="is_registered", value_set=[True])],
        ["waba_id"],
    )


def numbers_missing_from_registry(conn: duckdb.DuckDBPyConnection, _: CheckScope) -> Outcome:
    frame = conn.execute("select phone_number, is_registered from marts.dim_phone_numbers").df()
    return validate(
        "registry_coverage",
        frame,
        [gxe.ExpectColumnValuesToBeInSet(column="is_registered", value_set=[True])],
        ["phone_number"],
    )


RAW_CHECKS = [
    check
    for source in ("api_logs", "webhook_logs")
    for check in (
        Check(
            "required_fields_parse",
            f"raw/{source}",
            "ERROR",
            "R26: every loaded row has its required fields, of the right types",
            required_fields(source),
        ),
        Check(
            "quarantine_rate_under_threshold",
            f"raw/{source}",
            "WARN",
            "R26: per partition, quarantined lines / lines read stays under the threshold",
            quarantine_rate(source),
        ),
        Check(
            "ledger_reconciles",
            f"raw/{source}",
            "ERROR",
            "R27: per file, lines read = loaded + quarantined + blank, and the counts match "
            "the tables",
            ledger_reconciles(source),
        ),
        Check(
            "files_read_to_end",
            f"raw/{source}",
            "ERROR",
            "R26: every file was read to its end (a damaged file keeps the lines before the "
            "damage and fails until it is replaced)",
            files_read_to_end(source),
        ),
        Check(
            "landing_paths_known",
            f"raw/{source}",
            "WARN",
            f"R28: paths under {source}/ that the landing layout does not know are skipped",
            _landing_paths_under((f"{source}/",)),
        ),
    )
]

REGISTRY_CHECKS = [
    check
    for registry in ("phone_numbers", "wabas")
    for check in (
        Check(
            "ledger_reconciles",
            f"raw/{registry}",
            "ERROR",
            "R27: per file, records read = loaded + quarantined + blank, and the counts "
            "match the tables",
            ledger_reconciles(registry),
        ),
        Check(
            "registry_rows_quarantined",
            f"raw/{registry}",
            "WARN",
            "R26/R30: registry rows that could not be read are counted",
            registry_quarantine(registry),
        ),
    )
] + [
    Check(
        "landing_paths_known",
        "raw/phone_numbers",
        "WARN",
        "R28: paths outside api_logs/ and webhook_logs/ that the landing layout does not "
        "know are skipped",
        _landing_paths_under(None),
    ),
]

MODEL_CHECKS = [
    Check(
        "orphan_and_unknown_statuses",
        "intermediate/int_status_events_deduplicated",
        "WARN",
        "R30: orphan statuses and unknown status values are counted",
        orphan_and_unknown_statuses,
    ),
    Check(
        "numbers_missing_from_registry",
        "marts/dim_phone_numbers",
        "WARN",
        "R30: business numbers seen in the logs but missing from the registry",
        numbers_missing_from_registry,
    ),
    Check(
        "wabas_missing_from_registry",
        "marts/dim_wabas",
        "WARN",
        "R36/R40: WABAs seen in the logs but missing from the wabas registry (priced as "
        "UTC, USD and a portfolio of their own)",
        wabas_missing_from_registry,
    ),
]
# The marts' rules (R13's identities and totals, R22's rates, R24's free tier and
# amounts) are dbt tests beside the models (tests/dbt/, models/marts/_marts__models.yml),
# which reach Dagster as asset checks too: each rule has one home.
