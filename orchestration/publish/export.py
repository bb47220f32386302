"""CSV exports of the four reports, with the source document's titles and formats.

Comma-separated, RFC 4180 quoting, UTF-8, a header line; DATE like `Nov 25, 2022`;
timestamps like `2022-11-25T08:34:10.000Z`; booleans `true`/`false`; FREE TIER
`Yes`/`No`; AMOUNT a plain decimal without trailing zeros; NULL as empty.

The files are read from the serving copy (published only after a run whose error-level
checks passed), written into a hidden folder beside the destination and moved into
place once every file is complete: a failure leaves the previous files as they were.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from orchestration.warehouse import date_range_filter


def report_date(value: date | None) -> str:
    return "" if value is None else f"{value:%b} {value.day}, {value.year}"


def timestamp(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def true_false(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def yes_no(value: bool | None) -> str:
    return "" if value is None else ("Yes" if value else "No")


def amount(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return "0" if Decimal(text) == 0 else text


def plain(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Report:
    table: str
    file_name: str
    date_column: str
    columns: list[tuple[str, str, Callable[[Any], str]]]  # (column, title, formatter)
    order_by: list[str]


REPORTS = [
    Report(
        "marts.summary_messages",
        "summary_messages.csv",
        "report_date",
        [
            ("report_date", "DATE", report_date),
            ("waba_id", "WABA ID", plain),
            ("wa_phone_number", "WA PHONE NUMBER", plain),
            ("display_name", "DISPLAY NAME", plain),
            ("country", "COUNTRY", plain),
            ("message_type", "MESSAGE TYPE", plain),
            ("created", "CREATED", plain),
            ("failed", "FAILED", plain),
            ("sent", "SENT", plain),
            ("delivered", "DELIVERED", plain),
            ("read", "READ", plain),
            ("received", "RECEIVED", plain),
        ],
        ["report_date", "waba_id", "wa_phone_number", "display_name", "country", "message_type"],
    ),
    Report(
        "marts.summary_sessions",
        "summary_sessions.csv",
        "report_date",
        [
            ("report_date", "DATE", report_date),
            ("waba_id", "WABA ID", plain),
            ("wa_phone_number", "WA PHONE NUMBER", plain),
            ("display_name", "DISPLAY NAME", plain),
            ("country", "COUNTRY", plain),
            ("session_type", "SESSION TYPE", plain),
            ("is_free_tier", "FREE TIER", yes_no),
            ("number_of_sessions", "NUMBER OF SESSIONS", plain),
            ("amount_usd", "AMOUNT ($)", amount),
        ],
        [
            "report_date",
            "waba_id",
            "wa_phone_number",
            "display_name",
            "country",
            "session_type",
            "is_free_tier",
        ],
    ),
    Report(
        "marts.tabular_report",
        "tabular_report.csv",
        "cast(created_at as date)",
        [
            ("waba_id", "WABA ID", plain),
            ("whatsapp_id", "WHATSAPP_ID", plain),
            ("from_number", "FROM", plain),
            ("to_number", "TO", plain),
            ("is_incoming", "MESSAGE_DIRECTION", true_false),
            ("source", "SOURCE", plain),
            ("format", "FORMAT", plain),
            ("reason_for_failure", "REASON_FOR_FAILURE", plain),
            ("country", "COUNTRY", plain),
            ("template_name", "TEMPLATE_NAME", plain),
            ("message", "MESSAGE", plain),
            ("created_at", "CREATED_AT", timestamp),
            ("failed_at", "FAILED_AT", timestamp),
            ("sent_at", "SENT_AT", timestamp),
            ("delivered_at", "DELIVERED_AT", timestamp),
            ("seen_at", "SEEN_AT", timestamp),
            ("parent_service_type", "PARENT_SERVICE_TYPE", plain),
            ("conversation_type", "CONVERSATION_TYPE", plain),
            ("conversation_id", "CONVERSATION_ID", plain),
            ("conversation_msg_type", "CONVERSATION_MSG_TYPE", plain),
            ("campaign_id", "CAMPAIGN_ID", plain),
            ("ref", "REF", plain),
            ("ref1", "REF1", plain),
            ("ref2", "REF2", plain),
            ("pricing_model", "PRICING_MODEL", plain),
            ("pricing_category", "PRICING_CATEGORY", plain),
            ("pricing_type", "PRICING_TYPE", plain),
            ("tier", "TIER", plain),
            ("currency", "CURRENCY", plain),
            ("amount", "AMOUNT", amount),
        ],
        ["created_at", "whatsapp_id"],
    ),
    Report(
        "marts.summary_charges",
        "summary_charges.csv",
        "report_date",
        [
            ("report_date", "DATE", report_date),
            ("waba_id", "WABA ID", plain),
            ("wa_phone_number", "WA PHONE NUMBER", plain),
            ("display_name", "DISPLAY NAME", plain),
            ("country", "COUNTRY", plain),
            ("market", "MARKET", plain),
            ("billing_month", "BILLING MONTH", plain),
            ("pricing_category", "PRICING CATEGORY", plain),
            ("pricing_type", "PRICING TYPE", plain),
            ("tier", "TIER", plain),
            ("currency", "CURRENCY", plain),
            ("delivered", "DELIVERED", plain),
            ("charged", "CHARGED", plain),
            ("amount", "AMOUNT", amount),
        ],
        [
            "report_date",
            "waba_id",
            "wa_phone_number",
            "display_name",
            "country",
            "market",
            "billing_month",
            "pricing_category",
            "pricing_type",
            "tier",
            "currency",
        ],
    ),
]


def _rows(conn: duckdb.DuckDBPyConnection, report: Report, selection: Selection) -> list[tuple]:
    filters, params = date_range_filter(
        report.date_column, selection.date_from, selection.date_to, selection.waba_id
    )
    where = f"where {' and '.join(filters)}" if filters else ""
    columns = ", ".join(f'"{c}"' for c, _, _ in report.columns)
    order = ", ".join(f'"{c}" nulls first' for c in report.order_by)
    return conn.execute(
        f"select {columns} from {report.table} {where} order by {order}", params
    ).fetchall()


@dataclass(frozen=True)
class Selection:
    date_from: str | None = None
    date_to: str | None = None
    waba_id: str | None = None


class EmptySelection(Exception):
    """The selection names a WABA the reports do not hold: nothing is written."""


def known_wabas(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        w
        for (w,) in conn.execute(
            "select distinct waba_id from marts.summary_messages order by waba_id"
        ).fetchall()
    ]


def data_dates(conn: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    """The first and last report date the reports hold."""
    return conn.execute(
        "select min(report_date), max(report_date) from marts.summary_messages"
    ).fetchone()


def export_reports(
    conn: duckdb.DuckDBPyConnection,
    out_dir: Path,
    date_from: str | None = None,
    date_to: str | None = None,
    waba_id: str | None = None,
) -> dict[str, int]:
    """Write the CSV files into `out_dir`, all or none; return the rows written per file.
    Raise EmptySelection, writing nothing, for a WABA the reports do not hold."""
    selection = Selection(date_from, date_to, waba_id)
    if waba_id and waba_id not in known_wabas(conn):
        raise EmptySelection(f"WABA {waba_id} is not in the reports")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=out_dir))
    try:
        for report in REPORTS:
            rows = _rows(conn, report, selection)
            with (staging / report.file_name).open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle, lineterminator="\r\n")
                writer.writerow([title for _, title, _ in report.columns])
                for row in rows:
                    writer.writerow(
                        [fmt(value) for value, (_, _, fmt) in zip(row, report.columns, strict=True)]
                    )
            written[report.file_name] = len(rows)
        for report in REPORTS:
            os.replace(staging / report.file_name, out_dir / report.file_name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written
