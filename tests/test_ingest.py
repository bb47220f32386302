"""Raw loads: quarantine reasons (R26), ledger reconciliation (R27), reruns and late files (R28)."""

from __future__ import annotations

import gzip
import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from orchestration import warehouse
from orchestration.ingest import lake
from orchestration.ingest.load import load_log_partition, load_log_partitions, load_phone_numbers
from orchestration.ingest.sinks import DuckDBSink, ParquetSink
from tests.landing_builders import api_line, replaced, status, webhook_line, without, write_lines

pytestmark = pytest.mark.fast  # no warehouse built from landing data

DT = "2022-11-25"


@pytest.fixture
def conn(tmp_path: Path):
    with warehouse.connect(tmp_path / "wh.duckdb") as connection:
        yield connection


def quarantine(conn) -> list[tuple[str, int, str]]:
    return conn.execute(
        "select source_file, line_number, reason from raw.quarantine "
        "order by source_file, line_number"
    ).fetchall()


def test_each_kind_of_malformed_api_line_is_quarantined_with_its_reason(tmp_path, conn):
    good = api_line()
    lines = [
        good,
        '{"request_id": "req-9", "received_at": "2022-11-25T08:3',  # truncated write
        without(good, "request_id"),
        replaced(good, "received_at", "25/11/2022 08:34"),
        replaced(good, "to", "919876543210"),
        replaced(good, "response.http_status", "202"),
        replaced(good, "to", ["919876543210", "447911123456"]),  # one recipient for two
        replaced(good, "waba_id", 105954558954427),
        "",
        replaced(good, "received_at", "2022-11-25T08:34:10"),  # no UTC offset
        without(good, "template_name"),
    ]
    write_lines(tmp_path / "landing/api_logs/dt=2022-11-25/a.jsonl", lines)
    result = load_log_partition(DuckDBSink(conn), tmp_path / "landing", "api_logs", DT)

    reasons = [reason for _, _, reason in quarantine(conn)]
    assert reasons[0].startswith("invalid JSON")
    assert reasons[1:] == [
        "missing required field request_id",
        "received_at is not an ISO-8601 timestamp: '25/11/2022 08:34'",
        "to is not an array",
        "response.http_status is not an integer",
        "response.recipients has 1 elements for 2 numbers in to",
        "waba_id is not a string of digits",
        "received_at has no UTC offset: '2022-11-25T08:34:10'",
        "missing template_name on a template message",
    ]
    # The blank line 9 is counted, not quarantined (R26).
    assert [n for _, n, _ in quarantine(conn)] == [*range(2, 9), 10, 11]
    counts = (result.lines_read, result.lines_loaded, result.lines_quarantined, result.lines_blank)
    assert counts == (11, 1, 9, 1)
    raw = conn.execute("select line_number, received_at, raw_line from raw.api_logs").fetchall()
    assert len(raw) == 1 and raw[0][0] == 1
    assert str(raw[0][1]) == "2022-11-25 08:34:10.123000"


def test_good_lines_keep_their_file_number_time_and_bytes_between_bad_ones(tmp_path, conn):
    # The good lines of each file travel to DuckDB packed together (ingest/sinks.py):
    # each must land beside its own line number and received_at, whatever sits between.
    landing = tmp_path / "landing"
    first = api_line("req-a", received_at="2022-11-25T10:00:00.5+02:00", body="Olá 👋 tab\there")
    second = api_line("req-b", received_at="2022-11-25T23:59:59.999999Z")
    third = api_line("req-c", received_at="2022-11-25T00:00:00Z")
    write_lines(landing / "api_logs/dt=2022-11-25/a.jsonl", ["{not json", first, "", second])
    write_lines(landing / "api_logs/dt=2022-11-25/b.jsonl.gz", [without(third, "waba_id"), third])
    load_log_partition(DuckDBSink(conn), landing, "api_logs", DT)

    rows = conn.execute(
        "select source_file, line_number, cast(received_at as varchar), raw_line "
        "from raw.api_logs order by source_file, line_number"
    ).fetchall()
    assert rows == [
        ("api_logs/dt=2022-11-25/a.jsonl", 2, "2022-11-25 08:00:00.5", json.dumps(first)),
        ("api_logs/dt=2022-11-25/a.jsonl", 4, "2022-11-25 23:59:59.999", json.dumps(second)),
        ("api_logs/dt=2022-11-25/b.jsonl.gz", 2, "2022-11-25 00:00:00", json.dumps(third)),
    ]
    assert [(f, n) for f, n, _ in quarantine(conn)] == [
        ("api_logs/dt=2022-11-25/a.jsonl", 1),
        ("api_logs/dt=2022-11-25/b.jsonl.gz", 1),
    ]


def test_each_kind_of_malformed_webhook_line_is_quarantined_whole(tmp_path, conn):
    good = webhook_line(statuses=[status("wamid.1", "sent", 1669365252)])
    incoming = webhook_line(
        messages=[
            {"from": "919876543210", "id": "wamid.in", "timestamp": "1669365252", "type": "text"}
        ]
    )
    template_update = {
        "received_at": "2022-11-25T09:00:00+00:00",
        "body": {
            "entry": [
                {
                    "id": "105954558954427",
                    "changes": [
                        {"field": "message_template_status_update", "value": {"event": "APPROVED"}}
                    ],
                }
            ]
        },
    }
    lines = [
        good,
        incoming,
        template_update,  # neither statuses nor messages: valid, loads no message rows
        "not json at all",
        replaced(good, "body.entry", {"id": "1"}),
        replaced(good, "body.entry.0.changes.0.value.statuses.0.timestamp", "yesterday"),
        without(good, "body.entry.0.changes.0.value.statuses.0.id"),
        without(good, "body.entry.0.changes.0.value.metadata"),
        replaced(good, "body.entry.0.id", "WABA"),
        without(incoming, "body.entry.0.changes.0.value.messages.0.from"),
        replaced(good, "received_at", 1669365252),
    ]
    write_lines(tmp_path / "landing/webhook_logs/dt=2022-11-25/w.jsonl.gz", lines)
    result = load_log_partition(DuckDBSink(conn), tmp_path / "landing", "webhook_logs", DT)

    reasons = [reason for _, _, reason in quarantine(conn)]
    assert reasons[0].startswith("invalid JSON")
    assert reasons[1:] == [
        "body.entry is not an array",
        "statuses[].timestamp is not unix seconds: 'yesterday'",
        "missing required field statuses[].id",
        "missing required field value.metadata",
        "entry[].id is not a string of digits",
        "missing required field messages[].from",
        "received_at is not a string",
    ]
    assert (result.lines_read, result.lines_loaded, result.lines_quarantined) == (11, 3, 8)


def test_the_ledger_reconciles_every_file(tmp_path, conn):
    landing = tmp_path / "landing"
    write_lines(landing / "api_logs/dt=2022-11-25/a.jsonl", [api_line("r1"), "{", api_line("r2")])
    write_lines(landing / "api_logs/dt=2022-11-25/b.jsonl.gz", [api_line("r3"), "[]"])
    load_log_partition(DuckDBSink(conn), landing, "api_logs", DT)
    ledger = conn.execute(
        "select source_file, lines_read, lines_loaded, lines_quarantined from raw.load_ledger "
        "order by source_file"
    ).fetchall()
    assert ledger == [
        ("api_logs/dt=2022-11-25/a.jsonl", 3, 2, 1),
        ("api_logs/dt=2022-11-25/b.jsonl.gz", 2, 1, 1),
    ]
    # The ledger agrees with what the tables hold, file by file.
    mismatches = conn.execute("""
        select l.source_file
        from raw.load_ledger l
        left join (select source_file, count(*) n from raw.api_logs group by 1) a
            using (source_file)
        left join (select source_file, count(*) n from raw.quarantine group by 1) q
            using (source_file)
        where l.lines_loaded != coalesce(a.n, 0) or l.lines_quarantined != coalesce(q.n, 0)
           or l.lines_read != l.lines_loaded + l.lines_quarantined
    """).fetchall()
    assert mismatches == []


def test_loading_a_partition_twice_changes_nothing(tmp_path, conn):
    landing = tmp_path / "landing"
    write_lines(landing / "api_logs/dt=2022-11-25/a.jsonl", [api_line("r1"), "{"])
    load_log_partition(DuckDBSink(conn), landing, "api_logs", DT)
    before = conn.execute("select * from raw.api_logs").fetchall()
    second = load_log_partition(DuckDBSink(conn), landing, "api_logs", DT)
    assert second.skipped
    assert conn.execute("select * from raw.api_logs").fetchall() == before
    assert conn.execute("select count(*) from raw.quarantine").fetchone() == (1,)
    assert conn.execute("select count(*) from raw.load_ledger").fetchone() == (1,)


@pytest.mark.parametrize("sink_kind", ["duckdb", "parquet"])
def test_a_partition_loaded_under_earlier_rules_is_loaded_again_once(tmp_path, conn, sink_kind):
    """A status of a business-scoped user (empty recipient_id) was refused by the rules
    before RULES_VERSION 2: an unchanged file loaded under them is judged again."""
    landing = tmp_path / "landing"
    hidden = status("wamid.1", "delivered", 1669365300, recipient="")
    write_lines(landing / "webhook_logs/dt=2022-11-25/a.jsonl", [webhook_line(statuses=[hidden])])

    def sink():
        return DuckDBSink(conn) if sink_kind == "duckdb" else ParquetSink(tmp_path / "lake")

    def ledger_versions() -> list:
        if sink_kind == "duckdb":
            return conn.execute("select rules_version from raw.load_ledger").fetchall()
        path = lake.raw_file(tmp_path / "lake", "load_ledger", DT, "webhook_logs")
        return conn.execute("select rules_version from read_parquet(?)", [str(path)]).fetchall()

    assert not load_log_partition(sink(), landing, "webhook_logs", DT).skipped
    assert load_log_partition(sink(), landing, "webhook_logs", DT).skipped
    # As an earlier version left it: the line refused, the ledger of older rules.
    (version,) = ledger_versions()[0]
    if sink_kind == "duckdb":
        conn.execute("update raw.load_ledger set rules_version = null")
    else:
        path = lake.raw_file(tmp_path / "lake", "load_ledger", DT, "webhook_logs")
        conn.execute(
            f"copy (select * exclude (rules_version) from read_parquet('{path}')) "
            f"to '{path}.old' (format parquet)"
        )
        os.replace(f"{path}.old", path)
    again = load_log_partition(sink(), landing, "webhook_logs", DT)
    assert not again.skipped and (again.lines_loaded, again.lines_quarantined) == (1, 0)
    assert ledger_versions() == [(version,)]
    assert load_log_partition(sink(), landing, "webhook_logs", DT).skipped


def test_a_changed_file_is_reloaded_without_double_counting(tmp_path, conn):
    landing = tmp_path / "landing"
    path = write_lines(landing / "api_logs/dt=2022-11-25/a.jsonl", [api_line("r1")])
    load_log_partition(DuckDBSink(conn), landing, "api_logs", DT)
    write_lines(path, [api_line("r1"), api_line("r2"), "{"])
    os.utime(path, ns=(1, 1))  # a new mtime even on a coarse clock
    result = load_log_partition(DuckDBSink(conn), landing, "api_logs", DT)
    assert not result.skipped
    assert conn.execute("select count(*) from raw.api_logs").fetchone() == (2,)
    assert conn.execute("select count(*) from raw.quarantine").fetchone() == (1,)


def test_a_late_file_in_a_loaded_partition_is_picked_up(tmp_path, conn):
    landing = tmp_path / "landing"
    write_lines(landing / "api_logs/dt=2022-11-25/a.jsonl", [api_line("r1")])
    load_log_partition(DuckDBSink(conn), landing, "api_logs", DT)
    write_lines(landing / "api_logs/dt=2022-11-25/late.jsonl", [api_line("r2")])
    load_log_partition(DuckDBSink(conn), landing, "api_logs", DT)
    rows = conn.execute("select source_file from raw.api_logs order by 1").fetchall()
    assert rows == [("api_logs/dt=2022-11-25/a.jsonl",), ("api_logs/dt=2022-11-25/late.jsonl",)]
    assert conn.execute("select count(*) from raw.load_ledger").fetchone() == (2,)


def test_other_partitions_are_left_alone(tmp_path, conn):
    landing = tmp_path / "landing"
    write_lines(landing / "api_logs/dt=2022-11-25/a.jsonl", [api_line("r1")])
    write_lines(landing / "api_logs/dt=2022-11-26/a.jsonl", [api_line("r2")])
    load_log_partition(DuckDBSink(conn), landing, "api_logs", DT)
    load_log_partition(DuckDBSink(conn), landing, "api_logs", "2022-11-26")
    load_log_partition(DuckDBSink(conn), landing, "api_logs", DT)
    assert conn.execute("select count(*) from raw.api_logs").fetchone() == (2,)


def test_a_truncated_gzip_file_keeps_its_good_lines_and_reconciles(tmp_path, conn):
    landing = tmp_path / "landing"
    path = landing / "api_logs/dt=2022-11-25/cut.jsonl.gz"
    path.parent.mkdir(parents=True)
    data = gzip.compress(("\n".join(f'{{"n": {i}}}' for i in range(5000)) + "\n").encode())
    path.write_bytes(data[: len(data) // 2])
    result = load_log_partition(DuckDBSink(conn), landing, "api_logs", DT)
    assert result.lines_read == result.lines_loaded + result.lines_quarantined
    assert 0 < result.lines_read < 5000  # the lines before the damage were read
    assert result.damaged_files == ["api_logs/dt=2022-11-25/cut.jsonl.gz"]
    ((error,),) = conn.execute("select read_error from raw.load_ledger").fetchall()
    assert error.startswith("EOFError")


def test_invalid_utf8_is_quarantined_not_crashing(tmp_path, conn):
    landing = tmp_path / "landing"
    path = landing / "api_logs/dt=2022-11-25/bad.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"request_id": "\xff\xfe"}\n')
    load_log_partition(DuckDBSink(conn), landing, "api_logs", DT)
    assert [r for _, _, r in quarantine(conn)] == ["line is not valid UTF-8"]


def test_a_refused_line_is_named_for_its_first_fault_and_kept_as_text(tmp_path, conn):
    """Only refused lines are decoded: the reason must still put bad UTF-8 before bad
    JSON, whatever the JSON parser says first; a blank line is counted, not refused, and a
    byte order mark is ignored only at the start of a file."""
    landing = tmp_path / "landing"
    path = landing / "webhook_logs/dt=2022-11-25/odd.jsonl"
    path.parent.mkdir(parents=True)
    lines = [
        b'{"a": "\xed\xa0\x80"}',  # a UTF-16 surrogate, encoded: not UTF-8
        b'{"a": "\xc0\xaf"}',  # an overlong "/"
        b'{"a": "\xf4\x90\x80\x80"}',  # past U+10FFFF
        b" \t ",
        b"\xef\xbb\xbf{}",  # a byte order mark
        b'{"received_at": "2022-11-25T08:00:00Z"',
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = load_log_partition(DuckDBSink(conn), landing, "webhook_logs", DT)
    rows = quarantine(conn)
    assert [reason for _, _, reason in rows][:3] == ["line is not valid UTF-8"] * 3
    assert [reason.split(":")[0] for _, _, reason in rows][3:] == ["invalid JSON"] * 2
    texts = [text for (text,) in conn.execute("select raw_line from raw.quarantine").fetchall()]
    refused = [line for line in lines if line.strip()]
    assert sorted(texts) == sorted(line.decode("utf-8", errors="replace") for line in refused)
    assert (result.lines_read, result.lines_quarantined, result.lines_blank) == (6, 5, 1)


def test_registry_rows_are_validated_and_reloaded_whole(tmp_path, conn):
    landing = tmp_path / "landing"
    folder = landing / "phone_numbers"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text(
        "waba_id,phone_number,phone_number_id,display_name,updated_at\n"
        '105954558954427,918049276070,106540352242922,"Acme, India",2022-10-01T00:00:00Z\n'
        "105954558954427,918049276071,1,Acme Offers,not-a-date\n"
        "105954558954427,91804927607X,1,Acme Offers,2022-10-01T00:00:00Z\n"
        "only,three,fields\n"
    )
    result = load_phone_numbers(DuckDBSink(conn), landing)
    assert (result.lines_read, result.lines_loaded, result.lines_quarantined) == (4, 1, 3)
    assert [r for _, _, r in quarantine(conn)] == [
        "updated_at is not an ISO-8601 timestamp: 'not-a-date'",
        "phone_number is not a string of digits",
        "3 fields, expected 5",
    ]
    assert conn.execute("select display_name from raw.phone_numbers").fetchall() == [
        ("Acme, India",)
    ]
    (folder / "b.csv").write_text(
        "waba_id,phone_number,phone_number_id,display_name,updated_at\n"
        "105954558954427,918049276070,106540352242922,Acme,2022-11-01T00:00:00Z\n"
    )
    load_phone_numbers(DuckDBSink(conn), landing)
    assert conn.execute("select count(*) from raw.phone_numbers").fetchone() == (2,)


def test_the_parquet_sink_for_spark_holds_what_the_duckdb_sink_holds(tmp_path, conn):
    """One loader, two sinks: the same landing files, reruns and late file give the
    same raw rows, quarantine and ledger in the Spark lake as in the DuckDB warehouse."""
    landing = tmp_path / "landing"
    write_lines(landing / "api_logs/dt=2022-11-25/a.jsonl", [api_line("r1"), "{", ""])
    write_lines(landing / "api_logs/dt=2022-11-26/a.jsonl.gz", [api_line("r2")])
    write_lines(landing / "webhook_logs/dt=2022-11-25/w.jsonl", [webhook_line(), "[]"])
    (landing / "phone_numbers").mkdir()
    (landing / "phone_numbers/a.csv").write_text(
        "waba_id,phone_number,phone_number_id,display_name,updated_at\n"
        "105954558954427,918049276070,1,Acme,2022-10-01T00:00:00Z\nbad\n"
    )
    lake_dir = tmp_path / "lake"
    sinks = [DuckDBSink(conn), ParquetSink(lake_dir)]

    def load_all() -> None:
        for sink in sinks:
            for source, dt in [("api_logs", DT), ("api_logs", "2022-11-26")]:
                load_log_partition(sink, landing, source, dt)
            load_log_partition(sink, landing, "webhook_logs", DT)
            load_phone_numbers(sink, landing)

    load_all()
    load_all()  # a rerun: skipped by both
    write_lines(landing / "api_logs/dt=2022-11-25/late.jsonl", [api_line("r3"), "{"])
    load_all()  # a late file: its partition reloaded by both

    catalog = tmp_path / "catalog.duckdb"
    lake.refresh_catalog(lake_dir, catalog)
    tables = {
        "api_logs": "dt, source_file, line_number, received_at, raw_line",
        "webhook_logs": "dt, source_file, line_number, received_at, raw_line",
        "phone_numbers": "source_file, line_number, waba_id, phone_number, updated_at",
        "quarantine": "source, dt, source_file, line_number, reason, raw_line",
        "load_ledger": "source, dt, source_file, file_bytes, lines_read, lines_quarantined",
    }
    with warehouse.connect(catalog, read_only=True) as views:
        for table, columns in tables.items():
            query = f"select {columns} from raw.{table} order by all"
            in_duckdb = conn.execute(query).fetchall()
            assert in_duckdb, table
            assert views.execute(query).fetchall() == in_duckdb, table
    assert (lake_dir / "raw/api_logs/dt=2022-11-25/api_logs.parquet").is_file()


def test_parse_workers_load_what_one_process_loads(tmp_path):
    """Files parsed in worker processes, several partitions ahead: the same rows, the
    same quarantine and one result per partition, in order, as a single process."""
    landing = tmp_path / "landing"
    days = ["2022-11-24", "2022-11-25", "2022-11-26", "2022-11-27"]
    for n, dt in enumerate(days):
        write_lines(landing / f"api_logs/dt={dt}/a.jsonl", [api_line(f"r{n}a"), "{"])
        write_lines(landing / f"api_logs/dt={dt}/b.jsonl.gz", [api_line(f"r{n}b")])
    tables = {}
    for workers in (1, 2):
        with warehouse.connect(tmp_path / f"w{workers}.duckdb") as conn:
            sink = DuckDBSink(conn)
            results = list(load_log_partitions(sink, landing, "api_logs", days, workers))
            assert [(r.dt, r.lines_read, r.lines_quarantined) for r in results] == [
                (dt, 3, 1) for dt in days
            ]
            tables[workers] = [
                conn.execute(f"select * exclude (loaded_at) from raw.{t} order by all").fetchall()
                for t in ("api_logs", "quarantine", "load_ledger")
            ]
    assert tables[2] == tables[1]
    assert len(tables[1][0]) == 8


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-11-03T00:00:00.140Z", "2022-11-03 00:00:00.140000"),
        ("2022-11-03T00:00:00.123987Z", "2022-11-03 00:00:00.123000"),  # truncated to ms
        ("2022-11-03 23:59:59.9999Z", "2022-11-03 23:59:59.999000"),
        ("2022-11-03T01:30:00.5+02:00", "2022-11-02 23:30:00.500000"),
        ("20221103T000000Z", "2022-11-03 00:00:00"),
        ("2022-11-03Z", None),  # a date alone takes no offset
        ("2022-11-03T00:00:00+01:00Z", None),
        ("2022-02-30T00:00:00Z", None),
        ("2022-11-03T24:00:00Z", None),
        ("2022-11-03T10:00:00", None),  # no offset
    ],
)
def test_received_at_is_read_as_utc_to_the_millisecond(text, expected):
    from orchestration.ingest.validate import Invalid, parse_iso_utc

    try:
        parsed = str(parse_iso_utc(text, "received_at"))
    except Invalid:
        parsed = None
    assert parsed == expected


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        (None, None, None),  # the status as built: valid
        ("timestamp", 1262304000, None),  # 2010-01-01, the earliest plausible time
        (
            "timestamp",
            -5,
            "statuses[].timestamp '-5' is before 2010-01-01 or after received_at + 1 hour",
        ),
        (
            "timestamp",
            "1669368853",  # received_at + 1 hour + 1 second
            "statuses[].timestamp '1669368853' is before 2010-01-01 or after received_at + 1 hour",
        ),
        ("timestamp", "1669368852", None),  # received_at + 1 hour, to the second
        (
            "timestamp",
            "99999999999999",
            "statuses[].timestamp is not unix seconds: '99999999999999'",
        ),
        ("timestamp", "١٦٦٩٣٦٥٢٥٢", "statuses[].timestamp is not unix seconds: '١٦٦٩٣٦٥٢٥٢'"),
        ("recipient_id", "", None),  # a business-scoped user (R26 reading)
        ("recipient_id", "120363025246125486", None),  # a group id
        ("recipient_id", "+9198", None),  # not required, not read for identity
        ("timestamp", "1669365252", None),
        ("recipient_id", None, None),
        ("conversation", None, None),
        ("conversation.expiration_timestamp", "1669451652", None),
        (
            "conversation.expiration_timestamp",
            "1671957253",  # received_at + 30 days + 1 second
            "conversation.expiration_timestamp '1671957253' is before 2010-01-01 or after "
            "received_at + 30 days",
        ),
        ("errors", [], None),
        ("id", "", "statuses[].id is not a non-empty string"),
        ("id", 7, "statuses[].id is not a non-empty string"),
        ("status", None, "missing required field statuses[].status"),
        ("timestamp", True, "statuses[].timestamp is not unix seconds: 'True'"),
        ("timestamp", 1669365252.5, "statuses[].timestamp is not unix seconds: '1669365252.5'"),
        ("timestamp", "-5", "statuses[].timestamp is not unix seconds: '-5'"),
        ("recipient_id", 9198, "statuses[].recipient_id is not a string or null"),
        ("recipient_user_id", 7, "statuses[].recipient_user_id is not a string or null"),
        ("conversation", "c1", "statuses[].conversation is not an object"),
        ("conversation.id", "", "conversation.id is not a non-empty string"),
        ("conversation.id", None, "missing required field conversation.id"),
        (
            "conversation.expiration_timestamp",
            "tomorrow",
            "conversation.expiration_timestamp is not unix seconds: 'tomorrow'",
        ),
        ("errors", {"code": 1}, "statuses[].errors is not an array"),
    ],
)
def test_every_rule_of_a_status_is_held_to(path, value, reason):
    from orchestration.ingest.validate import Invalid, validate_webhook_line

    one = status("wamid.1", "sent", 1669365252)
    one["conversation"] = {"id": "c1", "origin": {"type": "service"}}
    one["errors"] = None
    line = webhook_line(statuses=[one])
    if path:
        line = replaced(line, f"body.entry.0.changes.0.value.statuses.0.{path}", value)
    try:
        validate_webhook_line(line)
        found = None
    except Invalid as exc:
        found = str(exc)
    assert found == reason


def _verdict(validator, line) -> str | None:
    from orchestration.ingest.validate import Invalid

    try:
        validator(line)
    except Invalid as exc:
        return str(exc)
    return None


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        (None, None, None),  # the line as built: valid
        ("ref", "r-7", None),
        ("response.http_status", 202, None),
        ("response.recipients.0.wamid", None, None),
        ("response.recipients.0.error", {"code": "E1"}, None),
        ("request_id", "", "request_id is not a non-empty string"),
        ("request_id", None, "missing required field request_id"),
        ("received_at", None, "missing required field received_at"),
        ("received_at", 1669365252, "received_at is not a string"),
        ("waba_id", "", "waba_id is not a string of digits"),
        ("from", None, "missing required field from"),
        ("from", "+918049276070", "from is not a string of digits"),
        ("to", [], "to is an empty array"),
        ("to", None, "missing required field to"),
        ("to.0", 919876543210, "to[] is not a string of digits"),
        ("to.0", None, "to[] is not a string of digits"),
        ("type", "", "type is not a non-empty string"),
        ("type", 3, "type is not a non-empty string"),
        ("body", 5, "body is not a string or null"),
        ("ref2", ["x"], "ref2 is not a string or null"),
        ("template_name", "", "missing template_name on a template message"),
        ("response", [], "response is not an object"),
        ("response", None, "missing required field response"),
        ("response.http_status", True, "response.http_status is not an integer"),
        ("response.http_status", 202.0, "response.http_status is not an integer"),
        ("response.http_status", None, "missing required field response.http_status"),
        ("response.recipients", {}, "response.recipients is not an array"),
        ("response.recipients", [], "response.recipients has 0 elements for 1 numbers in to"),
        ("response.recipients.0", "r", "response.recipients[] is not an object"),
        (
            "response.recipients.0.message_id",
            "",
            "recipients[].message_id is not a non-empty string",
        ),
        (
            "response.recipients.0.message_id",
            None,
            "missing required field recipients[].message_id",
        ),
        ("response.recipients.0.to", "x1", "recipients[].to is not a string of digits"),
        ("response.recipients.0.wamid", "", "recipients[].wamid is not a non-empty string"),
        ("response.recipients.0.error", "E1", "recipients[].error is not an object"),
    ],
)
def test_every_rule_of_an_api_line_is_held_to(path, value, reason):
    from orchestration.ingest.validate import validate_api_line

    line = api_line()
    if path:
        line = replaced(line, path, value)
    assert _verdict(validate_api_line, line) == reason


INCOMING = {"from": "919876543210", "id": "wamid.in", "timestamp": "1669365252", "type": "text"}


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        (None, None, None),
        ("messages.0.timestamp", 1669365252, None),
        ("statuses", [], None),  # messages alone: valid
        ("messages", [], None),  # neither statuses nor messages: no metadata needed
        ("messages", {}, None),  # an empty object counts as no messages
        ("messages", "m", "value.messages is not an array"),
        ("statuses", {"id": "x"}, "value.statuses is not an array"),
        ("messages.0", [], "messages[] is not an object"),
        ("messages.0.id", "", "messages[].id is not a non-empty string"),
        ("messages.0.from", None, "missing required field messages[].from"),
        ("messages.0.from", "abc", "messages[].from is not a string of digits"),
        ("messages.0.type", None, "missing required field messages[].type"),
        ("messages.0.timestamp", "soon", "messages[].timestamp is not unix seconds: 'soon'"),
        ("messages.0.timestamp", False, "messages[].timestamp is not unix seconds: 'False'"),
        ("metadata", "m", "value.metadata is not an object"),
        (
            "metadata.display_phone_number",
            918049276070,
            "metadata.display_phone_number is not a string of digits",
        ),
        (
            "metadata.display_phone_number",
            None,
            "missing required field metadata.display_phone_number",
        ),
    ],
)
def test_every_rule_of_an_incoming_message_and_its_change_is_held_to(path, value, reason):
    from orchestration.ingest.validate import validate_webhook_line

    line = webhook_line(messages=[dict(INCOMING)])
    if path:
        line = replaced(line, f"body.entry.0.changes.0.value.{path}", value)
    assert _verdict(validate_webhook_line, line) == reason


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        ("body.entry.0.changes", None, None),  # an entry without changes carries nothing
        ("body.entry.0.changes.0.value", None, None),
        ("body", None, "missing required field body"),
        ("body", [], "body is not an object"),
        ("body.entry", None, "missing required field body.entry"),
        ("body.entry.0", "e", "entry[] is not an object"),
        ("body.entry.0.id", None, "missing required field entry[].id"),
        ("body.entry.0.changes", {"a": 1}, "entry[].changes is not an array"),
        ("body.entry.0.changes.0", 1, "changes[] is not an object"),
        ("body.entry.0.changes.0.value", [1], "changes[].value is not an object"),
    ],
)
def test_every_rule_of_a_webhook_envelope_is_held_to(path, value, reason):
    from orchestration.ingest.validate import validate_webhook_line

    line = replaced(webhook_line(messages=[dict(INCOMING)]), path, value)
    assert _verdict(validate_webhook_line, line) == reason


@pytest.mark.parametrize(
    ("content", "lines"),
    [
        (b"", []),
        (b"\n", [b""]),
        (b"a\nb", [b"a", b"b"]),  # no line ending after the last line
        (b"a\nb\n", [b"a", b"b"]),
        (b"a\r\n\r\nb\r\r\n", [b"a", b"", b"b"]),  # Windows line endings, stray \r
        (b"a\rb\n", [b"a\rb"]),  # a \r inside a line stays
    ],
)
@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_a_file_is_split_into_lines_as_read_line_by_line(tmp_path, content, lines, suffix):
    from orchestration.ingest.landing import read_lines

    path = tmp_path / f"part{suffix}"
    path.write_bytes(gzip.compress(content) if suffix.endswith(".gz") else content)
    assert list(read_lines(path)) == lines


def test_a_table_that_cannot_be_spilled_stays_in_memory(tmp_path):
    from orchestration.ingest.sinks import GoodLines

    good = GoodLines("api_logs/dt=2022-11-25/a.jsonl")
    good.numbers, good.lines = [1, 3], [b'{"a": 1}', b'{"b": 2}']
    good.received_at = [datetime(2022, 11, 25, 8, 34), datetime(2022, 11, 25, 8, 35)]
    good.packed()
    assert good.spill(tmp_path / "missing-folder") is good  # nowhere to write: kept
    assert good.spilled is None and good.table.num_rows == 2
    good.spill(tmp_path)
    assert good.table is None and len(list(tmp_path.glob("*.arrow"))) == 1
    good.unspill()
    assert list(tmp_path.glob("*.arrow")) == []  # the file goes once mapped
    assert good.table.column("line_number").to_pylist() == [1, 3]
    assert good.table.column("raw_line").to_pylist() == ['{"a": 1}', '{"b": 2}']


def test_parse_workers_spill_to_shared_memory_only_when_it_has_room(monkeypatch):
    from orchestration.ingest import load

    monkeypatch.setattr(load, "SPILL_ROOM", 2**62)  # more than any machine has
    with load._spill_folder() as folder:
        assert not folder.startswith("/dev/shm/")
    monkeypatch.setattr(load, "SPILL_ROOM", 0)
    with load._spill_folder() as folder:
        assert folder.startswith("/dev/shm/") == Path("/dev/shm").is_dir()
