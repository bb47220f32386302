"""Hostile input and hostile users: each case runs the CLI on a small landing and checks
the outcome the rules state (R26, R28, and the command line's promises), and that
nothing else in the reports changed.

The hostile landing is the hand-made landing of tests/e2e_landing.py plus lines, files
and folders an attacker or a broken upstream would add. None of them may change a
report: its exports must still equal the hand-written files in tests/expected/.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.conftest import wa, wa_here
from tests.e2e_landing import B1, U_IN1, W1, build, post, request, st, ts
from tests.landing_builders import write_lines

EXPECTED = Path(__file__).parent / "expected"
REPORTS = ("tabular_report.csv", "summary_messages.csv", "summary_sessions.csv")
DT = "2022-11-26"
AT = "2022-11-26T10:00:00Z"  # when the hostile webhook lines were "logged"
BLANK_LINES = 2_000_000  # gzipped: about 2 KB that decompress to 2 MB of newlines


def _status_line(timestamp, **conversation) -> dict:
    item = st("w.a1.0", "read", "2022-11-25T08:00:09", U_IN1)
    item["timestamp"] = timestamp
    if conversation:
        item["conversation"] = {"id": "evil", "origin": {"type": "service"}, **conversation}
    return post(AT, W1, B1, statuses=[item])


# Each hostile line, where it goes, and the start of the reason it must be quarantined
# with. Every one of them, loaded, would have changed a report or stopped the run.
HOSTILE_WEBHOOK_LINES = [
    # a conversation opened in 1970: the rate check failed, no sessions at all
    (_status_line("0"), "statuses[].timestamp '0' is before 2010-01-01"),
    # overflowed in dbt staging: no marts
    (_status_line("99999999999999"), "statuses[].timestamp is not unix seconds"),
    # year 10000: passed the run, crashed the export
    (_status_line("253402300800"), "statuses[].timestamp '253402300800' is before 2010-01-01"),
    (_status_line("12345678901234567890"), "statuses[].timestamp is not unix seconds"),
    (
        _status_line(ts("2022-11-25T08:00:09"), expiration_timestamp="99999999999"),
        "conversation.expiration_timestamp '99999999999' is before 2010-01-01",
    ),
    (
        post(
            AT,
            W1,
            B1,
            messages=[
                {"from": U_IN1, "id": "w.evil.in", "timestamp": "0", "type": "text", "text": {}}
            ],
        ),
        "messages[].timestamp '0' is before 2010-01-01",
    ),
    (
        {**_status_line(ts("2022-11-25T08:00:09")), "received_at": "1970-01-01T00:00:00Z"},
        "received_at '1970-01-01T00:00:00Z' is before 2010-01-01",
    ),
    (
        {**_status_line(ts("2022-11-25T08:00:09")), "received_at": "2022-12-30T00:00:00Z"},
        "received_at 2022-12-30 is more than a day after its dt",
    ),
]
# A request that claims message a1:0, the WHATSAPP_ID of another request's message.
STOLEN_ID = request("evil-1", "2022-11-26T10:00:00Z", W1, B1, [U_IN1], "text", "hijack")
STOLEN_ID["response"]["recipients"][0]["message_id"] = "a1:0"
STRAY_PATHS = [
    "README.txt",
    "api_logs/dt=2022-13-45/",
    "api_logs/dt=garbage/",
    "api_logs/loose.jsonl",
    "phone_numbers/notes.txt",
    "webhook_logs/dt=2022-11-26/extra.ndjson",
]


def _hostile_landing(root: Path) -> Path:
    landing = build(root / "landing")
    write_lines(
        landing / "webhook_logs" / f"dt={DT}" / "hostile.jsonl",
        [line for line, _ in HOSTILE_WEBHOOK_LINES],
    )
    write_lines(landing / "api_logs" / f"dt={DT}" / "hostile.jsonl", [STOLEN_ID])
    (landing / "webhook_logs" / f"dt={DT}" / "blank.jsonl.gz").write_bytes(
        gzip.compress(b"\n" * BLANK_LINES)
    )
    # Stray paths: valid lines that must still not be read.
    stolen = json.dumps(request("stray", "2022-11-26T11:00:00Z", W1, B1, [U_IN1], "text", "x"))
    for stray in STRAY_PATHS:
        path = landing / stray
        if stray.endswith("/"):
            path.mkdir(parents=True)
            (path / "part.jsonl").write_text(stolen + "\n")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(stolen + "\n")
    # An Excel export of the registry: a byte order mark, CRLF line ends, a name quoted
    # over two lines (RFC 4180), and one bad row. The numbers are not in the logs.
    (landing / "phone_numbers" / "excel.csv").write_bytes(
        b"\xef\xbb\xbfwaba_id,phone_number,phone_number_id,display_name,updated_at\r\n"
        b'105954558954427,910000000001,1,"Acme\r\nNight desk",2022-10-01T00:00:00Z\r\n'
        b"105954558954427,91000000000X,2,Acme Broken,2022-10-01T00:00:00Z\r\n"
    )
    return landing


def _exports_equal_expected(out: Path) -> None:
    for name in REPORTS:
        actual = (out / name).read_text(encoding="utf-8").splitlines()
        assert actual == (EXPECTED / name).read_text(encoding="utf-8").splitlines(), name


def _one_line(completed: subprocess.CompletedProcess) -> str:
    """The single line a failing command printed on stderr (no traceback)."""
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    return lines[0]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("hostile")
    landing = _hostile_landing(root)
    warehouse = root / "warehouse.duckdb"
    run = wa_here("run", "--landing-dir", str(landing), "--warehouse", str(warehouse))
    export = wa_here("export", "--warehouse", str(warehouse), "--out", str(root / "out"))
    return {"root": root, "landing": landing, "warehouse": warehouse, "run": run, "export": export}


# -- 3, 4, 6, 7: bad lines, stray paths, registry files, blank lines ----------------------
def test_hostile_lines_are_quarantined_and_the_reports_are_unchanged(hostile):
    assert hostile["run"].returncode == 0, hostile["run"].stdout + hostile["run"].stderr
    assert hostile["export"].returncode == 0, hostile["export"].stderr
    _exports_equal_expected(hostile["root"] / "out")
    with duckdb.connect(str(hostile["warehouse"]), read_only=True) as conn:
        reasons = conn.execute(
            "select line_number, reason from raw.quarantine "
            "where source_file = ? order by line_number",
            [f"webhook_logs/dt={DT}/hostile.jsonl"],
        ).fetchall()
        assert [n for n, _ in reasons] == list(range(1, len(HOSTILE_WEBHOOK_LINES) + 1))
        for (_, reason), (_, expected) in zip(reasons, HOSTILE_WEBHOOK_LINES, strict=True):
            assert reason.startswith(expected), reason
        ((stolen,),) = conn.execute(
            "select reason from raw.quarantine where source_file = ?",
            [f"api_logs/dt={DT}/hostile.jsonl"],
        ).fetchall()
        assert stolen == "recipients[].message_id 'a1:0' is not 'evil-1:0'"


def test_stray_paths_are_listed_warned_and_never_read(hostile):
    stdout = hostile["run"].stdout
    assert f"skipped {len(STRAY_PATHS)} paths the landing layout does not know" in stdout
    warnings = [line for line in stdout.splitlines() if "landing_paths_known" in line]
    assert len(warnings) == 3 and all(line.lstrip().startswith("WARN") for line in warnings)
    with duckdb.connect(str(hostile["warehouse"]), read_only=True) as conn:
        read = {f for (f,) in conn.execute("select source_file from raw.load_ledger").fetchall()}
    assert not any(stray.rstrip("/") in f for f in read for stray in STRAY_PATHS)
    # A range that leaves the bad folder out ran before too; now every range runs.
    assert "Traceback" not in hostile["run"].stdout + hostile["run"].stderr


def test_blank_lines_are_counted_not_stored(hostile):
    with duckdb.connect(str(hostile["warehouse"]), read_only=True) as conn:
        ledger = conn.execute(
            "select lines_read, lines_loaded, lines_quarantined, lines_blank "
            "from raw.load_ledger where source_file like '%blank.jsonl.gz'"
        ).fetchall()
        stored = conn.execute(
            "select count(*) from raw.quarantine where source_file like '%blank.jsonl.gz'"
        ).fetchone()
    assert ledger == [(BLANK_LINES, 0, 0, BLANK_LINES)]
    assert stored == (0,)


def test_an_excel_registry_file_loads_and_its_bad_row_is_reported(hostile):
    with duckdb.connect(str(hostile["warehouse"]), read_only=True) as conn:
        names = conn.execute(
            "select display_name from raw.phone_numbers where phone_number = '910000000001'"
        ).fetchall()
        refused = conn.execute(
            "select line_number, reason from raw.quarantine where source = 'phone_numbers'"
        ).fetchall()
    assert names == [("Acme\r\nNight desk",)]
    assert refused == [(4, "phone_number is not a string of digits")]
    warning = [line for line in hostile["run"].stdout.splitlines() if "registry_rows" in line]
    assert len(warning) == 1 and "phone_numbers/excel.csv/4" in warning[0]


# -- 1, 9: the SQL door is read-only ---------------------------------------------------
WRITES_AND_ESCAPES = [
    "drop schema marts cascade",
    "update marts.summary_messages set created = 0",
    "delete from raw.quarantine",
    "attach '{warehouse}' as w",
    "copy (select 1) to '{root}/stolen.csv'",
    "copy (select 1) to '{warehouse}'",
    "select * from read_text('/etc/passwd')",
    "install httpfs",
    "load httpfs",
    "set enable_external_access = true",
]


def test_sql_cannot_write_attach_or_touch_files(hostile):
    """Every statement fails in the session `wa-reports sql` opens (serving.
    connect_read_only), and through the CLI as one line with exit 2; neither the
    warehouse nor the serving copy changes, and no file is written."""
    from orchestration.publish.serving import connect_read_only

    warehouse, root = hostile["warehouse"], hostile["root"]
    serving = root / "serving" / "serving.duckdb"
    before = _digest(warehouse), _digest(serving)
    statements = [s.format(warehouse=warehouse, root=root) for s in WRITES_AND_ESCAPES]
    with connect_read_only(serving) as conn:
        for statement in statements:
            with pytest.raises(duckdb.Error):
                conn.execute(statement)
    for statement in statements[1], statements[5]:
        completed = wa("sql", statement, "--warehouse", str(warehouse))
        assert completed.returncode == 2, completed.stdout
        assert _one_line(completed).startswith("wa-reports sql: ")
    assert (_digest(warehouse), _digest(serving)) == before
    assert not (root / "stolen.csv").exists()


def test_data_engineers_read_the_quarantine_and_the_ledger_through_sql(hostile):
    completed = wa(
        "sql",
        "select (select count(*) from raw.quarantine), "
        "(select sum(lines_blank) from raw.load_ledger)",
        "--csv",
        "--warehouse",
        str(hostile["warehouse"]),
    )
    assert completed.returncode == 0, completed.stderr
    with duckdb.connect(str(hostile["warehouse"]), read_only=True) as conn:
        expected = conn.execute(
            "select (select count(*) from raw.quarantine), "
            "(select sum(lines_blank) from raw.load_ledger)"
        ).fetchone()
    assert list(csv.reader(io.StringIO(completed.stdout)))[1] == [str(v) for v in expected]


# -- 2, 5: damaged files, and an export gated on the checked copy ----------------------
@pytest.fixture(scope="module")
def damaged(hostile, tmp_path_factory) -> dict:
    """The hostile warehouse, copied, after a second run on a landing that gained a
    truncated gzip and a plain file named .gz."""
    root = tmp_path_factory.mktemp("damaged")
    shutil.copytree(hostile["root"], root, dirs_exist_ok=True)
    landing, warehouse = root / "landing", root / "warehouse.duckdb"
    folder = landing / "webhook_logs" / "dt=2022-11-28"
    late = [_status_line(ts("2022-11-25T08:00:09")) for _ in range(3000)]
    good = gzip.compress("".join(json.dumps(line) + "\n" for line in late).encode())
    (folder / "cut.jsonl.gz").write_bytes(good[: len(good) // 2])
    (folder / "plain.jsonl.gz").write_text(json.dumps(late[0]) + "\n")
    run = wa_here("run", "--landing-dir", str(landing), "--warehouse", str(warehouse))
    return {"root": root, "landing": landing, "warehouse": warehouse, "run": run}


def test_a_damaged_file_keeps_its_lines_and_fails_the_run_naming_it(damaged):
    run = damaged["run"]
    assert run.returncode == 1, run.stdout
    failures = [line for line in run.stdout.splitlines() if "files_read_to_end" in line]
    assert any(line.lstrip().startswith("FAIL") for line in failures), run.stdout
    text = "\n".join(failures)
    assert "webhook_logs/dt=2022-11-28/cut.jsonl.gz" in text
    assert "webhook_logs/dt=2022-11-28/plain.jsonl.gz" in text
    with duckdb.connect(str(damaged["warehouse"]), read_only=True) as conn:
        rows = dict(
            conn.execute(
                "select source_file, lines_read from raw.load_ledger where read_error is not null"
            ).fetchall()
        )
    assert 0 < rows["webhook_logs/dt=2022-11-28/cut.jsonl.gz"] < 3000
    assert rows["webhook_logs/dt=2022-11-28/plain.jsonl.gz"] == 0


def test_export_reads_the_last_checked_copy_not_the_warehouse(damaged, tmp_path):
    warehouse = damaged["warehouse"]
    with duckdb.connect(str(warehouse)) as conn:  # unchecked rows, as a failed run leaves
        conn.execute("update marts.summary_messages set created = created + 100")
    out = tmp_path / "out"
    completed = wa("export", "--warehouse", str(warehouse), "--out", str(out))
    assert completed.returncode == 0, completed.stderr
    _exports_equal_expected(out)


def test_empty_selections_and_reversed_ranges_say_so(hostile, tmp_path):
    warehouse = str(hostile["warehouse"])
    unknown = wa("export", "--warehouse", warehouse, "--out", str(tmp_path / "a"), "--waba", "9")
    assert unknown.returncode == 2
    assert "WABA 9 is not in the reports; nothing written" in _one_line(unknown)
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").iterdir())
    reversed_range = wa(
        "export", "--warehouse", warehouse, "--out", str(tmp_path / "b"),
        "--from", "2022-11-26", "--to", "2022-11-25",
    )  # fmt: skip
    assert reversed_range.returncode == 2
    assert "is after --to" in _one_line(reversed_range)
    no_data = wa(
        "export", "--warehouse", warehouse, "--out", str(tmp_path / "c"),
        "--from", "2024-01-01", "--to", "2024-01-31",
    )  # fmt: skip
    assert no_data.returncode == 0
    assert "no report rows in this selection (the reports hold 2022-11-25 to 2023-06-15)" in (
        _one_line(no_data)
    )
    for name in REPORTS:  # a header, and nothing else
        assert len((tmp_path / "c" / name).read_text().splitlines()) == 1


# -- 8: one line for what a user causes ----------------------------------------------------
def test_a_concurrent_run_is_told_to_wait(hostile):
    with duckdb.connect(str(hostile["warehouse"])):  # another writer holds the file
        completed = wa(
            "run",
            "--landing-dir",
            str(hostile["landing"]),
            "--warehouse",
            str(hostile["warehouse"]),
        )
    assert completed.returncode == 2
    assert "another run holds the warehouse" in _one_line(completed)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("WA_QUARANTINE_THRESHOLD", "lots", "WA_QUARANTINE_THRESHOLD='lots' is not a share"),
        ("WA_QUARANTINE_THRESHOLD", "2", "WA_QUARANTINE_THRESHOLD='2' is not a share"),
        ("WA_LOAD_WORKERS", "many", "WA_LOAD_WORKERS='many' is not a whole number"),
        ("WA_ENGINE", "oracle", "WA_ENGINE='oracle' is not one of duckdb, spark"),
    ],
)
@pytest.mark.fast
def test_a_bad_setting_is_one_line(tmp_path, variable, value, message):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WA_")}
    env[variable] = value
    from tests.conftest import WA_REPORTS

    completed = subprocess.run(
        [
            str(WA_REPORTS),
            "run",
            "--landing-dir",
            str(tmp_path),
            "--warehouse",
            str(tmp_path / "w"),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert completed.returncode == 2
    assert message in _one_line(completed)


def test_a_corrupt_serving_copy_is_one_line(hostile, tmp_path):
    serving = tmp_path / "serving"
    serving.mkdir()
    (serving / "serving.duckdb").write_bytes(b"not a database" * 1000)
    # The serving folder beside this warehouse path is the corrupt one.
    for command in (
        ["sql", "select 1"],
        ["export", "--out", str(tmp_path / "out")],
        ["report", "--out", str(tmp_path / "report.html")],
    ):
        completed = wa(*command, "--warehouse", str(tmp_path / "warehouse.duckdb"))
        assert completed.returncode == 2
        line = _one_line(completed)
        assert "cannot be read" in line and "run `wa-reports run`" in line


TINY = Path("/mnt/wa-reports-test-tiny")


@pytest.fixture
def tiny_disk():
    """A 4 MB file system of its own (tmpfs; the suite runs as root, as CI does)."""
    TINY.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(TINY)], check=True)
    try:
        yield TINY
    finally:
        subprocess.run(["umount", str(TINY)], check=False)


def test_a_full_disk_is_one_line_and_leaves_the_last_export(hostile, tiny_disk):
    run = wa(
        "run", "--landing-dir", str(hostile["landing"]), "--warehouse", str(tiny_disk / "w.duckdb")
    )
    assert run.returncode == 2, run.stdout
    assert "No space left on device" in _one_line(run)
    assert "free some space, then run again" in _one_line(run)
    shutil.rmtree(tiny_disk / "logs", ignore_errors=True)
    for path in tiny_disk.glob("w.duckdb*"):
        path.unlink()
    # An export that cannot be finished leaves the previous files whole.
    out = tiny_disk / "out"
    out.mkdir()
    for name in REPORTS:
        (out / name).write_text("previous\r\n")
    free = os.statvfs(tiny_disk)
    (tiny_disk / "filler").write_bytes(b"\0" * (free.f_bavail * free.f_frsize - 8192))
    export = wa("export", "--warehouse", str(hostile["warehouse"]), "--out", str(out))
    assert export.returncode == 2
    assert "No space left on device" in _one_line(export)
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORTS)
    assert all((out / name).read_bytes() == b"previous\r\n" for name in REPORTS)


# -- 10: Meta's own payloads -------------------------------------------------------------
def _meta_landing(root: Path) -> Path:
    """Meta's documented shapes (written for this test): a status of a business-scoped
    user (recipient_id empty, recipient_user_id set), a group status, an incoming
    message of a business-scoped user with and without a profile country, and a history
    sync whose value holds a messages array."""
    landing = root / "landing"
    day = "2026-11-10"
    api = [
        request("m1", f"{day}T09:00:00Z", W1, B1, ["919800000001"], "text", "to a hidden user"),
        request("m2", f"{day}T09:01:00Z", W1, B1, ["919800000002"], "text", "to a group"),
    ]
    write_lines(landing / "api_logs" / f"dt={day}" / "a.jsonl", api)
    hidden = {
        "id": "w.m1.0",
        "status": "delivered",
        "timestamp": ts(f"{day}T09:00:05"),
        "recipient_id": "",
        "recipient_user_id": "IN.1122334455",
    }
    group = {
        "id": "w.m2.0",
        "status": "read",
        "timestamp": ts(f"{day}T09:01:09"),
        "recipient_id": "120363025246125486",
        "recipient_type": "group",
    }
    incoming_hidden = {
        "from": "",
        "from_user_id": "BR.998877",
        "id": "w.in.hidden",
        "timestamp": ts(f"{day}T10:00:00"),
        "type": "text",
        "text": {"body": "oi"},
    }
    incoming_no_country = {**incoming_hidden, "from_user_id": "XX.1", "id": "w.in.nocountry"}
    contacts = [
        {"profile": {"name": "Ana", "country_code": "BR"}, "wa_id": "", "user_id": "BR.998877"},
        {"profile": {"name": "Zed"}, "wa_id": "", "user_id": "XX.1"},
    ]
    messages_post = post(
        f"{day}T10:00:01Z", W1, B1, messages=[incoming_hidden, incoming_no_country]
    )
    messages_post["body"]["entry"][0]["changes"][0]["value"]["contacts"] = contacts
    history = post(
        f"{day}T10:05:00Z",
        W1,
        B1,
        messages=[{**incoming_hidden, "from": "919800000003", "id": "w.history.1"}],
    )
    history["body"]["entry"][0]["changes"][0]["field"] = "history"
    echoes = json.loads(json.dumps(history).replace('"history"', '"smb_message_echoes"'))
    echoes["body"]["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = "w.echo.1"
    write_lines(
        landing / "webhook_logs" / f"dt={day}" / "a.jsonl",
        [
            post(f"{day}T09:00:06Z", W1, B1, statuses=[hidden]),
            post(f"{day}T09:01:10Z", W1, B1, statuses=[group]),
            messages_post,
            history,
            echoes,
        ],
    )
    return landing


def test_meta_payloads_load_as_meta_means_them(tmp_path):
    landing = _meta_landing(tmp_path)
    warehouse = tmp_path / "warehouse.duckdb"
    run = wa_here("run", "--landing-dir", str(landing), "--warehouse", str(warehouse))
    assert run.returncode == 0, run.stdout + run.stderr
    export = wa_here("export", "--warehouse", str(warehouse), "--out", str(tmp_path / "out"))
    assert export.returncode == 0, export.stderr
    with (tmp_path / "out" / "tabular_report.csv").open(encoding="utf-8") as handle:
        rows = {row["WHATSAPP_ID"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"m1:0", "m2:0", "w.in.hidden", "w.in.nocountry"}
    assert (rows["m1:0"]["DELIVERED_AT"], rows["m1:0"]["SEEN_AT"]) == (
        "2026-11-10T09:00:05.000Z",
        "",
    )
    assert rows["m2:0"]["SEEN_AT"] == "2026-11-10T09:01:09.000Z"
    hidden = rows["w.in.hidden"]
    assert (hidden["FROM"], hidden["TO"], hidden["COUNTRY"]) == ("BR.998877", B1, "Brazil")
    assert (rows["w.in.nocountry"]["FROM"], rows["w.in.nocountry"]["COUNTRY"]) == (
        "XX.1",
        "Unknown",
    )
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        assert conn.execute("select count(*) from raw.quarantine").fetchone() == (0,)


def test_sql_keeps_duckdb_s_hint_and_lists_the_tables(hostile):
    warehouse = str(hostile["warehouse"])
    typo = wa("sql", "select * from marts.summary_session", "--warehouse", warehouse)
    assert typo.returncode == 2
    assert 'Did you mean "summary_sessions"?' in _one_line(typo)
    tables = wa("sql", "show tables", "--csv", "--warehouse", warehouse)
    assert tables.returncode == 0, tables.stderr
    names = {row[0] for row in csv.reader(io.StringIO(tables.stdout))}
    assert {"tabular_report", "summary_messages", "quarantine", "load_ledger"} <= names


def test_a_warehouse_of_the_earlier_rules_and_layout_is_upgraded_by_a_full_refresh(
    hostile, tmp_path
):
    """A warehouse an earlier version built: staging tables without the columns this
    version writes, and a ledger of partitions loaded under earlier validation rules.
    The next run reloads the partitions, then stops on the models whose columns
    changed and says to run once with --full-refresh; that run rebuilds them, and the
    reports come out as written by hand."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(hostile["warehouse"], warehouse)
    with duckdb.connect(str(warehouse)) as conn:
        for table in (
            "stg_webhook_logs__incoming_message_copies",
            "stg_webhook_logs__incoming_messages",
        ):
            conn.execute(f"alter table staging.{table} drop column is_business_scoped_user")
            conn.execute(f"alter table staging.{table} drop column profile_country_code")
        conn.execute("update raw.load_ledger set rules_version = null")
    args = ("--landing-dir", str(hostile["landing"]), "--warehouse", str(warehouse))
    run = wa_here("run", *args)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "stg_webhook_logs__incoming_message_copies" in run.stdout
    assert "wa-reports run --full-refresh" in run.stdout
    run = wa_here("run", *args, "--full-refresh")
    assert run.returncode == 0, run.stdout + run.stderr
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        assert conn.execute(
            "select count(*) from raw.load_ledger where rules_version is null"
        ).fetchone() == (0,)
    export = wa("export", "--warehouse", str(warehouse), "--out", str(tmp_path / "out"))
    assert export.returncode == 0, export.stderr
    _exports_equal_expected(tmp_path / "out")
