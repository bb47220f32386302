"""The warehouse's data-quality checks, each a query and a Great Expectations suite.

Every check reads a small frame (one row per partition, file, group or key) and states
the rule as expectations over it, so a failure names the partitions, files or report
rows that break it. Severity ERROR blocks what is downstream; WARN only reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import great_expectations.expectations as gxe

from orchestration import landing
from orchestration.quality.expectations import Outcome, validate
from orchestration.warehouse import on_dates

KNOWN_STATUSES = ("sent", "delivered", "read", "failed", "deleted", "played", "warning")
REPORT_GRAIN = ["report_date", "waba_id", "wa_phone_number", "country", "message_type"]


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


def dates_to_judge(conn: duckdb.DuckDBPyConnection, scope: CheckScope) -> list[date] | None:
    """The report dates the summary checks judge (None: every date). In a run with a
    partition window, the dates whose summary rows or fact rows changed since the serving
    copy last took the marts in: the dates dbt rebuilt in summary_messages
    (`staging.unpublished_keys`, cleared only by a publication, so a run whose checks
    failed leaves its dates for the next one) and the dates fct_messages changed that the
    summary has not taken in yet (`staging.unsummarized_dates`). Every date without a
    window (a check run by hand), where either model was built whole (a NULL key or
    date), or where dbt keeps no such state (a warehouse built on Spark). The other dates
    were judged before they were published and have not changed since."""
    if scope.window is None:
        return None
    (state_tables,) = conn.execute(
        "select count(*) from duckdb_tables() where schema_name = 'staging'"
        " and table_name in ('unpublished_keys', 'unsummarized_dates')"
    ).fetchone()
    if state_tables < 2:
        return None
    built_whole, dates = conn.execute("""
        with changed as (
            select try_cast(key_value as date) as day, key_value is null as whole
            from staging.unpublished_keys where model = 'summary_messages'
            union all
            select date_value, date_value is null from staging.unsummarized_dates
            where model = 'fct_messages'
        )
        select bool_or(whole), list(distinct day order by day) filter (where not whole)
        from changed""").fetchone()
    return None if built_whole else (dates or [])


@dataclass(frozen=True)
class Check:
    name: str
    asset: str  # the asset key path, as `raw/api_logs`
    severity: str  # "ERROR" or "WARN"
    rule: str
    evaluate: Callable[[duckdb.DuckDBPyConnection, CheckScope], Outcome]


def _pairs_equal(pairs: list[tuple[str, str]]) -> list:
    return [gxe.ExpectColumnPairValuesToBeEqual(column_A=a, column_B=b) for a, b in pairs]


def _at_least(pairs: list[tuple[str, str]]) -> list:
    return [
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A=a, column_B=b, or_equal=True)
        for a, b in pairs
    ]


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


def required_fields(source: str) -> Callable[[duckdb.DuckDBPyConnection, CheckScope], Outcome]:
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


def quarantine_rate(source: str) -> Callable[[duckdb.DuckDBPyConnection, CheckScope], Outcome]:
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


def ledger_reconciles(source: str) -> Callable[[duckdb.DuckDBPyConnection, CheckScope], Outcome]:
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


def files_read_to_end(source: str) -> Callable[[duckdb.DuckDBPyConnection, CheckScope], Outcome]:
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


def registry_quarantine(conn: duckdb.DuckDBPyConnection, _: CheckScope) -> Outcome:
    """R26/R30: registry rows that could not be read are counted, by file and line."""
    frame = conn.execute("""
        select source_file, line_number, reason, false as loaded
        from raw.quarantine where source = 'phone_numbers'
        order by source_file, line_number""").df()
    outcome = validate(
        "registry_quarantine",
        frame,
        [gxe.ExpectColumnValuesToBeInSet(column="loaded", value_set=[True])],
        ["source_file", "line_number"],
    )
    outcome.details["rows_quarantined"] = len(frame)
    return outcome


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


def numbers_missing_from_registry(conn: duckdb.DuckDBPyConnection, _: CheckScope) -> Outcome:
    frame = conn.execute("select phone_number, is_registered from marts.dim_phone_numbers").df()
    return validate(
        "registry_coverage",
        frame,
        [gxe.ExpectColumnValuesToBeInSet(column="is_registered", value_set=[True])],
        ["phone_number"],
    )


# -- marts -----------------------------------------------------------------------------
def summary_messages_identities(conn: duckdb.DuckDBPyConnection, scope: CheckScope) -> Outcome:
    dates = dates_to_judge(conn, scope)
    facts, summary = on_dates("report_date", dates), on_dates("s.report_date", dates)
    frame = conn.execute(f"""
        with rejected as (
            select report_date, waba_id, business_number as wa_phone_number,
                country_name as country, message_type,
                count(*) filter (where not is_accepted) as rejected
            from marts.fct_messages where not is_incoming and {facts} group by all
        )
        select cast(s.report_date as varchar) as report_date, s.waba_id, s.wa_phone_number,
            s.country, s.message_type, s.created, s.failed, s.sent, s.delivered, s.read,
            s.sent + coalesce(r.rejected, 0) as sent_plus_rejected,
            s.delivered + s.failed as delivered_plus_failed
        from marts.summary_messages as s
        left join rejected as r
            using (report_date, waba_id, wa_phone_number, country, message_type)
        where s.message_type <> 'Incoming session message' and {summary}""").df()
    return validate(
        "summary_messages_identities",
        frame,
        _pairs_equal([("created", "sent_plus_rejected")])
        + _at_least(
            [
                ("created", "failed"),
                ("sent", "delivered"),
                ("delivered", "read"),
                ("created", "delivered_plus_failed"),
            ]
        ),
        REPORT_GRAIN,
    )


def summary_messages_match_tabular(conn: duckdb.DuckDBPyConnection, scope: CheckScope) -> Outcome:
    dates = dates_to_judge(conn, scope)
    summary_dates, report_dates = on_dates("report_date", dates), on_dates("created_at", dates)
    frame = conn.execute(f"""
        with summary as (
            select report_date, waba_id, wa_phone_number, country, message_type,
                sum(coalesce(created, 0)) as created, sum(coalesce(failed, 0)) as failed,
                sum(coalesce(sent, 0)) as sent, sum(coalesce(delivered, 0)) as delivered,
                sum(coalesce(read, 0)) as read, sum(coalesce(received, 0)) as received
            from marts.summary_messages where {summary_dates} group by all
        ), tabular as (
            select cast(created_at as date) as report_date, waba_id,
                case when is_incoming then to_number else from_number end as wa_phone_number,
                country,
                case when is_incoming then 'Incoming session message'
                     when format = 'template' then 'Template message'
                     else 'Outgoing session message' end as message_type,
                count(*) filter (where not is_incoming) as t_created,
                count(*) filter (where failed_at is not null) as t_failed,
                count(*) filter (where status in ('read', 'delivered', 'failed', 'sent'))
                    as t_sent,
                count(*) filter (where status in ('read', 'delivered')) as t_delivered,
                count(*) filter (where status = 'read') as t_read,
                count(*) filter (where is_incoming) as t_received
            from marts.tabular_report where {report_dates} group by all
        )
        select cast(coalesce(s.report_date, t.report_date) as varchar) as report_date,
            coalesce(s.waba_id, t.waba_id) as waba_id,
            coalesce(s.wa_phone_number, t.wa_phone_number) as wa_phone_number,
            coalesce(s.country, t.country) as country,
            coalesce(s.message_type, t.message_type) as message_type,
            coalesce(s.created, 0) as created, coalesce(t.t_created, 0) as t_created,
            coalesce(s.failed, 0) as failed, coalesce(t.t_failed, 0) as t_failed,
            coalesce(s.sent, 0) as sent, coalesce(t.t_sent, 0) as t_sent,
            coalesce(s.delivered, 0) as delivered, coalesce(t.t_delivered, 0) as t_delivered,
            coalesce(s.read, 0) as read, coalesce(t.t_read, 0) as t_read,
            coalesce(s.received, 0) as received, coalesce(t.t_received, 0) as t_received
        from summary as s
        full outer join tabular as t
            using (report_date, waba_id, wa_phone_number, country, message_type)""").df()
    counts = ["created", "failed", "sent", "delivered", "read", "received"]
    return validate(
        "summary_messages_match_tabular",
        frame,
        _pairs_equal([(c, f"t_{c}") for c in counts]),
        REPORT_GRAIN,
    )


def free_tier_limits(conn: duckdb.DuckDBPyConnection, _: CheckScope) -> Outcome:
    frame = conn.execute("""
        with summary as (
            select waba_id, cast(date_trunc('month', report_date) as date) as opened_month,
                sum(number_of_sessions) filter (where is_free_tier) as free_sessions
            from marts.summary_sessions group by all
        ), eligible as (
            select waba_id, opened_month,
                count(*) filter (where is_free_tier_eligible) as eligible_conversations,
                max(free_tier_monthly_limit) as monthly_limit
            from marts.fct_conversations where is_opened group by all
        )
        select eligible.waba_id, cast(eligible.opened_month as varchar) as opened_month,
            coalesce(summary.free_sessions, 0) as free_sessions,
            least(eligible.eligible_conversations, coalesce(eligible.monthly_limit, 0))
                as expected_free_sessions
        from eligible left join summary using (waba_id, opened_month)""").df()
    return validate(
        "free_tier_limits",
        frame,
        _pairs_equal([("free_sessions", "expected_free_sessions")]),
        ["waba_id", "opened_month"],
    )


def free_rows_cost_nothing(conn: duckdb.DuckDBPyConnection, _: CheckScope) -> Outcome:
    frame = conn.execute("""
        select cast(report_date as varchar) as report_date, waba_id, wa_phone_number, country,
            session_type, is_free_tier, amount_usd::double as amount_usd
        from marts.summary_sessions
        where is_free_tier or session_type = 'Referral'""").df()
    return validate(
        "free_rows_cost_nothing",
        frame,
        _zero(["amount_usd"]),
        ["report_date", "waba_id", "wa_phone_number", "country", "session_type"],
    )


def chargeable_conversations_have_a_rate(conn: duckdb.DuckDBPyConnection, _: CheckScope) -> Outcome:
    frame = conn.execute("""
        select conversation_id, origin_type, pricing_market, amount_usd::double as amount_usd
        from marts.fct_conversations
        -- Only the rows that could fail: the frame stays small as history grows.
        where is_chargeable and amount_usd is null""").df()
    return validate(
        "chargeable_have_rate",
        frame,
        [gxe.ExpectColumnValuesToNotBeNull(column="amount_usd")],
        ["conversation_id", "pricing_market", "origin_type"],
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
    Check(
        "ledger_reconciles",
        "raw/phone_numbers",
        "ERROR",
        "R27: per file, records read = loaded + quarantined + blank, and the counts match "
        "the tables",
        ledger_reconciles("phone_numbers"),
    ),
    Check(
        "registry_rows_quarantined",
        "raw/phone_numbers",
        "WARN",
        "R26/R30: registry rows that could not be read are counted",
        registry_quarantine,
    ),
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
        "r13_identities_hold",
        "marts/summary_messages",
        "ERROR",
        "R13: CREATED = SENT + rejected, FAILED <= CREATED, READ <= DELIVERED <= SENT, "
        "DELIVERED + FAILED <= CREATED",
        summary_messages_identities,
    ),
    Check(
        "totals_equal_tabular_counts",
        "marts/summary_messages",
        "ERROR",
        "R13: the summary's totals equal the tabular report's counts",
        summary_messages_match_tabular,
    ),
    Check(
        "free_tier_sessions_match_limit",
        "marts/summary_sessions",
        "ERROR",
        "R24: per WABA and month, FREE TIER sessions = min(limit, eligible opened)",
        free_tier_limits,
    ),
    Check(
        "free_and_referral_rows_cost_nothing",
        "marts/summary_sessions",
        "ERROR",
        "R24: FREE TIER rows and referral rows have AMOUNT 0",
        free_rows_cost_nothing,
    ),
    Check(
        "chargeable_conversations_have_a_rate",
        "marts/fct_conversations",
        "ERROR",
        "R22: a chargeable conversation without a rate is never a silent 0",
        chargeable_conversations_have_a_rate,
    ),
]
