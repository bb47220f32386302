"""`wa-reports run` and `export` on a landing across the switch to per-message pricing
(tests/e2e_landing_pmp.py: both eras, three time zones and two currencies, one portfolio
raised to its second volume tier), compared with the four CSV files written by hand
from the rules (tests/expected/per_message/)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from tests.conftest import wa, wa_here
from tests.e2e_landing_pmp import build

EXPECTED = Path(__file__).parent / "expected" / "per_message"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("e2e-pmp")
    landing = build(root / "landing")
    warehouse = root / "warehouse.duckdb"
    run = wa_here("run", "--landing-dir", str(landing), "--warehouse", str(warehouse))
    exported = wa_here("export", "--warehouse", str(warehouse), "--out", str(root / "out"))
    return {"root": root, "warehouse": warehouse, "run": run, "export": exported}


def test_the_run_and_the_export_succeed(built):
    assert built["run"].returncode == 0, built["run"].stdout + built["run"].stderr
    assert built["export"].returncode == 0, built["export"].stderr


@pytest.mark.parametrize(
    "name",
    ["summary_charges.csv", "tabular_report.csv", "summary_messages.csv", "summary_sessions.csv"],
)
def test_each_csv_equals_the_hand_written_expectation(built, name):
    actual = (built["root"] / "out" / name).read_text(encoding="utf-8").splitlines()
    expected = (EXPECTED / name).read_text(encoding="utf-8").splitlines()
    assert actual == expected


def test_the_announced_tier_and_the_ignored_announcement_show(built):
    with duckdb.connect(str(built["warehouse"]), read_only=True) as conn:
        sources = conn.execute(
            "select message_id, tier_place, tier, tier_source from marts.fct_message_charges"
            " where tier is not null and billing_month = '2026-11'"
            " and pricing_category = 'utility' order by tier_place"
        ).fetchall()
        ignored = conn.execute(
            "select announced_region from intermediate.int_tier_announcements_matched"
            " where not is_matched"
        ).fetchall()
        announced = conn.execute(
            "select count(*) from intermediate.int_tier_announcements_matched where is_matched"
        ).fetchone()
    # Places 1 and 2 before the announcement (12:00), place 3 after it, raised.
    assert sources == [
        ("p5:0", 1, "0:10000", "counted"),
        ("p8:0", 2, "0:10000", "counted"),
        ("p6:0", 3, "10001:100000", "announced"),
    ]
    assert ignored == [("ATLANTIS",)]
    assert announced == (1,)  # logged twice, counted once


def test_the_counted_anomalies_are_warnings_in_the_run(built):
    out = built["run"].stdout
    assert "WARN intermediate/int_tier_announcements_matched tier_announcements_match" in out
    assert "WARN marts/fct_message_charges delivered_per_message_messages_carry_a_label" in out


def test_the_stakeholder_report_shows_charges_tiers_and_allowances(built, tmp_path):
    from tests.browser import rendered_dom

    page = tmp_path / "report.html"
    made = wa("report", "--warehouse", str(built["warehouse"]), "--out", str(page))
    assert made.returncode == 0, made.stderr
    dom = rendered_dom(page.as_uri())
    charts = ["chart-charges", "chart-tiers", "chart-allowance"]
    for chart, following in zip(charts, [*charts[1:], None], strict=True):
        start = dom.index(f'id="{chart}"')
        end = dom.index(f'id="{following}"') if following else len(dom)
        assert re.search(r'class="trace (bars|scatter)', dom[start:end]), f"{chart} drew no trace"
    # By hand (tests/e2e_landing_pmp.py): seven USD messages charged, 0.0014 x 3 (p5, p8,
    # p13) + 0.0013 (p6) + 0.0118 (p10) + 0.028 (p11) + 0.0225 (p14) = 0.0678; one INR.
    assert ">7: 0.0678 USD<" in dom and ">1: 1.003 INR<" in dom
    assert "Period: Jun 30, 2025 to Nov 30, 2026 (UTC dates)" in dom
