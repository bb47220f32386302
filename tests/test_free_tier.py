"""R20-R22, R24 at scale: exactly which conversations are free, and the amount to the cent.

One WABA opens 1,003 eligible conversations in November 2022 (pairs share `opened_at`,
so the 1,000th place is decided by conversation id) and 4 referral conversations; in
June 2023 it opens 1,001 `service` and 3 `marketing` conversations, and only `service`
uses the tier. The expectation is computed here in Python from the inputs written here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.runner import run_pipeline
from orchestration.settings import Settings
from tests.conftest import ENGINE, table_contents, wa_here
from tests.e2e_landing import post, request, st
from tests.landing_builders import write_lines

WABA, NUMBER = "105954558954427", "918049276070"
# (market rate) per (country prefix, origin type), from seeds/rate_card.csv.
RATES = {
    ("91", "business_initiated"): Decimal("0.0099"),
    ("91", "user_initiated"): Decimal("0.0042"),
    ("1416", "business_initiated"): Decimal("0.0147"),
    ("1416", "user_initiated"): Decimal("0.0088"),
    ("91", "service"): Decimal("0.0040"),
    ("91", "marketing"): Decimal("0.0099"),
}


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def conversation_lines(index: int, conv: str, origin: str, user: str, opened: datetime):
    rid = f"req-{conv}"
    created = opened - timedelta(seconds=30)
    api = request(rid, iso(created) + "Z", WABA, NUMBER, [user], "template", "hello", template="t")
    hooks = [
        post(
            iso(created + timedelta(seconds=2)) + "Z",
            WABA,
            NUMBER,
            [
                st(
                    f"w.{rid}.0",
                    "sent",
                    iso(created + timedelta(seconds=1)),
                    user,
                    conv,
                    origin,
                    iso(created + timedelta(days=1)),
                )
            ],
        ),
        post(
            iso(opened + timedelta(seconds=1)) + "Z",
            WABA,
            NUMBER,
            [st(f"w.{rid}.0", "delivered", iso(opened), user, conv, origin)],
        ),
    ]
    return api, hooks


def scramble(i: int) -> str:
    return f"conv-{(i * 7919) % 100003:06d}"


@pytest.fixture(scope="module")
def month_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("free_tier")
    landing = root / "landing"
    conversations = []  # (conversation id, origin, user prefix, opened_at)
    november = datetime(2022, 11, 10, tzinfo=UTC)
    for i in range(1003):
        prefix = "1416" if i % 10 == 0 else "91"
        origin = "business_initiated" if i % 2 else "user_initiated"
        # (i + 1) // 2: places 999 and 1000 (0-based) share one opened_at.
        opened = november + timedelta(seconds=60 * ((i + 1) // 2))
        conversations.append((scramble(i), origin, prefix, opened))
    for j in range(4):
        conversations.append(
            (f"referral-{j}", "referral_conversion", "91", november + timedelta(seconds=30 + j))
        )
    june = datetime(2023, 6, 5, tzinfo=UTC)
    for i in range(1001):
        conversations.append((f"svc-{i:05d}", "service", "91", june + timedelta(seconds=60 * i)))
    for j in range(3):
        conversations.append((f"mkt-{j}", "marketing", "91", june + timedelta(seconds=61 * j)))

    by_dt: dict[tuple[str, str], list] = {}
    for index, (conv, origin, prefix, opened) in enumerate(conversations):
        user = prefix + f"{index:010d}"[-(12 - len(prefix)) :]
        api, hooks = conversation_lines(index, conv, origin, user, opened)
        by_dt.setdefault(("api_logs", opened.date().isoformat()), []).append(api)
        by_dt.setdefault(("webhook_logs", opened.date().isoformat()), []).extend(hooks)
    for (source, dt), lines in by_dt.items():
        write_lines(landing / source / f"dt={dt}" / "part.jsonl", lines)

    warehouse = root / "warehouse.duckdb"
    run = wa_here("run", "--landing-dir", str(landing), "--warehouse", str(warehouse))
    assert run.returncode == 0, run.stdout + run.stderr
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        facts = conn.execute(
            "select conversation_id, is_free_tier, amount_usd from marts.fct_conversations"
        ).fetchall()
        sessions = conn.execute(
            "select strftime(report_date, '%Y-%m') as month, session_type, is_free_tier, "
            "sum(number_of_sessions), sum(amount_usd) from marts.summary_sessions "
            "group by all order by all"
        ).fetchall()
    return conversations, {c: (free, amount) for c, free, amount in facts}, sessions


def expected_free(conversations, month: str, eligible: set[str], limit: int = 1000) -> set[str]:
    ranked = sorted(
        (opened, conv)
        for conv, origin, _, opened in conversations
        if opened.strftime("%Y-%m") == month and origin in eligible
    )
    return {conv for _, conv in ranked[:limit]}


def test_exactly_the_first_thousand_eligible_november_conversations_are_free(month_runs):
    conversations, facts, _ = month_runs
    free = expected_free(conversations, "2022-11", {"business_initiated", "user_initiated"})
    assert len(free) == 1000
    # The tie at the cut-off: places 999 and 1000 share opened_at; the smaller id wins.
    tied = sorted(
        conv
        for conv, _, _, opened in conversations
        if opened == conversations[999][3] and not conv.startswith("referral")
    )
    assert len(tied) == 2 and tied[0] in free and tied[1] not in free
    actual_free = {c for c, (is_free, _) in facts.items() if is_free and not c.startswith("svc")}
    assert actual_free == free


def test_november_amounts_to_the_cent(month_runs):
    conversations, facts, sessions = month_runs
    free = expected_free(conversations, "2022-11", {"business_initiated", "user_initiated"})
    expected_total = sum(
        (
            RATES[(prefix, origin)]
            for conv, origin, prefix, opened in conversations
            if opened.month == 11 and origin != "referral_conversion" and conv not in free
        ),
        Decimal(0),
    )
    assert expected_total > 0
    november = [row for row in sessions if row[0] == "2022-11"]
    assert sum(row[4] for row in november) == expected_total
    assert sum(row[3] for row in november if row[2]) == 1000
    assert sum(row[3] for row in november) == 1007
    for conv, origin, _, _ in conversations:
        if origin == "referral_conversion":
            assert facts[conv] == (False, Decimal(0))


def test_june_2023_only_service_conversations_use_the_tier(month_runs):
    conversations, facts, sessions = month_runs
    free = expected_free(conversations, "2023-06", {"service"})
    assert {
        c for c, (is_free, _) in facts.items() if is_free and c.startswith(("svc", "mkt"))
    } == free
    assert all(facts[f"mkt-{j}"] == (False, Decimal("0.0099")) for j in range(3))
    june = {(row[1], row[2]): (row[3], row[4]) for row in sessions if row[0] == "2023-06"}
    assert june == {
        ("Service", True): (1000, Decimal(0)),
        ("Service", False): (1, Decimal("0.0040")),
        ("Marketing", False): (3, Decimal("0.0297")),
    }


def free_tier_places(warehouse: Path) -> dict[str, int | None]:
    """Each conversation's `free_tier_rank`."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return dict(
            conn.execute(
                "select conversation_id, free_tier_rank from marts.fct_conversations"
            ).fetchall()
        )


@pytest.mark.usefixtures("restored_environment")
@pytest.mark.skipif(ENGINE != "duckdb", reason="incremental runs are DuckDB's (Spark builds whole)")
def test_late_conversations_move_free_places_only_up_to_the_limit(tmp_path):
    """R21 incrementally: ranks stop at the limit, so a conversation that appears past the
    last free place moves no other; one that appears before it pushes the last free one
    out; and when it vanishes again, that one moves back in. Each state equals a full
    build of the same files (every staging, intermediate and mart table).

    1,010 conversations c0000..c1009 open a minute apart on 2022-11-10 (places 1..1010;
    c0000..c0999 free). `after` opens between c1000 and c1001, `before` 30 s after c0000;
    their messages are logged on 2022-11-10 and their statuses arrive on later days."""
    landing = tmp_path / "landing"
    start = datetime(2022, 11, 10, tzinfo=UTC)
    api_lines: list = []
    hooks_by_dt: dict[str, list] = {"2022-11-10": [], "2022-11-11": [], "2022-11-12": []}
    plan = [(f"c{i:04d}", start + timedelta(minutes=i), "2022-11-10") for i in range(1010)]
    plan.append(("after", start + timedelta(minutes=1000, seconds=30), "2022-11-11"))
    plan.append(("before", start + timedelta(seconds=30), "2022-11-12"))
    for index, (conv, opened, hooks_dt) in enumerate(plan):
        user = "91" + f"{index:010d}"
        api, hooks = conversation_lines(index, conv, "business_initiated", user, opened)
        api_lines.append(api)
        hooks_by_dt[hooks_dt].extend(hooks)
    write_lines(landing / "api_logs/dt=2022-11-10/part.jsonl", api_lines)
    for dt, hooks in hooks_by_dt.items():
        write_lines(landing / f"webhook_logs/dt={dt}/part.jsonl", hooks)

    incremental = (tmp_path / "incremental" / "w.duckdb").resolve()
    settings = Settings(landing.resolve(), incremental, engine=ENGINE)

    def run(day: str) -> dict[str, int | None]:
        outcome = run_pipeline(settings, day, day, echo=lambda _: None)
        assert outcome.ok, outcome.failures
        return free_tier_places(incremental)

    def full_build(name: str) -> dict[str, list[tuple]]:
        warehouse = (tmp_path / name / "w.duckdb").resolve()
        outcome = run_pipeline(Settings(landing.resolve(), warehouse, engine=ENGINE))
        assert outcome.ok, outcome.failures
        return table_contents(warehouse)

    places = run("2022-11-10")
    assert places == {f"c{i:04d}": i + 1 if i < 1000 else None for i in range(1010)}

    # `after` lands at place 1002, past the limit: no other place changes.
    places = run("2022-11-11")
    assert places["after"] is None and places["c0999"] == 1000 and places["c1001"] is None

    # `before` takes place 2: c0001..c0998 move one down, c0999 falls out of the tier.
    places = run("2022-11-12")
    assert places["before"] == 2 and places["c0001"] == 3 and places["c0998"] == 1000
    assert places["c0999"] is None
    assert table_contents(incremental) == full_build("full-1")

    # A rerun of 2022-11-12 finds its file empty: `before` vanishes, c0999 is free again.
    (landing / "webhook_logs/dt=2022-11-12/part.jsonl").write_text("")
    places = run("2022-11-12")
    assert "before" not in places
    assert places["c0001"] == 2 and places["c0999"] == 1000 and places["c1000"] is None
    assert table_contents(incremental) == full_build("full-2")
