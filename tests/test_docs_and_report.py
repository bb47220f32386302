"""The docs site and the stakeholder report, opened from disk in headless Chromium;
and every column of the warehouse documented."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from tests.browser import rendered_dom
from tests.conftest import wa

ARTIFACTS = Path(__file__).parent / "artifacts"
REPORT_MODELS = {
    "tabular_report": [
        "WHATSAPP_ID: unique ID generated on the message request",
        "REASON_FOR_FAILURE: only on failed messages",
    ],
    "summary_messages": [
        "CREATED: the total number of messages intended to be sent",
        "RECEIVED: messages received from users",
    ],
    "summary_sessions": ["FREE TIER: true", "AMOUNT ($): USD, exact decimal"],
    "summary_charges": ["CHARGED: those with PRICING TYPE", "DATE: the UTC date of CHARGED_AT"],
}
# The conversation-era charts (the landing has no per-message traffic).
CHARTS = ["chart-funnel", "chart-failures", "chart-sessions", "chart-amount", "chart-free-tier"]


@pytest.fixture(scope="module")
def docs_site(e2e_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs")
    built = wa("docs", "--warehouse", str(e2e_run["warehouse"]), "--out", str(out))
    assert built.returncode == 0, built.stdout + built.stderr
    return out / "index.html"


@pytest.mark.parametrize("model", sorted(REPORT_MODELS))
def test_the_docs_site_shows_each_report_model_with_its_column_descriptions(docs_site, model):
    url = f"{docs_site.as_uri()}#!/model/model.whatsapp_reports.{model}"
    dom = rendered_dom(url, screenshot=ARTIFACTS / f"docs_{model}.png")
    assert re.search(rf">\s*{model}\s*<", dom), f"{model} page did not render"
    assert "One row per" in dom
    for description in REPORT_MODELS[model]:
        assert description in dom, description


def test_the_docs_overview_explains_the_warehouse(docs_site):
    overview = f"{docs_site.as_uri()}#!/overview"
    dom = rendered_dom(overview, screenshot=ARTIFACTS / "docs_overview.png")
    assert "How data flows" in dom and "How to query it" in dom


def test_the_stakeholder_report_draws_every_chart(e2e_run, tmp_path):
    page = tmp_path / "report.html"
    made = wa("report", "--warehouse", str(e2e_run["warehouse"]), "--out", str(page))
    assert made.returncode == 0, made.stderr
    assert "cdn" not in page.read_text().split("<body>")[1].lower(), "the page must work offline"
    shot = ARTIFACTS / "stakeholder_report.png"
    dom = rendered_dom(page.as_uri(), screenshot=shot, height=2600)
    for chart, following in zip(CHARTS, [*CHARTS[1:], "chart-charges"], strict=True):
        start = dom.index(f'id="{chart}"')
        end = dom.index(f'id="{following}"') if following else len(dom)
        section = dom[start:end]
        assert "js-plotly-plot" in dom[start - 200 : start + 200], f"{chart} not initialised"
        assert 'class="main-svg"' in section, f"{chart} has no SVG"
        assert re.search(r'class="trace (bars|scatter)', section), f"{chart} drew no trace"
    # The tiles are computed from the hand-made data: 17 outgoing, 7 incoming, 9 sessions.
    assert ">17<" in dom and ">7<" in dom and ">9<" in dom
    assert ">$0.0519<" in dom  # 0.0099 + 0.042 USD, exact, with its currency
    # The period is the data's: the hand-made landing's first and last message dates.
    assert "Period: Nov 25, 2022 to Jun 15, 2023 (UTC dates). WABA: every WABA." in dom


def test_the_stakeholder_report_of_one_waba_counts_only_its_rows(e2e_run, tmp_path):
    page = tmp_path / "report.html"
    made = wa(
        "report", "--warehouse", str(e2e_run["warehouse"]), "--out", str(page),
        "--waba", "107485930291844", "--from", "2022-11-26",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    text = page.read_text()
    # By hand (tests/e2e_landing.py): from Nov 26 on, WABA W2 has one template sent and
    # delivered on Jun 15, nothing received, and two sessions: a free one opened on
    # Nov 26 and a utility one on Jun 15 at 0.042 USD.
    flat = " ".join(text.split())
    assert "Period: Nov 26, 2022 to Jun 15, 2023 (UTC dates). WABA: WABA 107485930291844." in flat
    pattern = r'<div class="value">([^<]*)</div><div class="label">([^<]*)<'
    tiles = {label: value for value, label in re.findall(pattern, text)}
    assert tiles == {
        "messages created": "1",
        "delivered / sent": "100.0%",
        "messages received": "0",
        "sessions": "2",
        "sessions amount (USD)": "$0.042",
    }


def undescribed_columns(manifest: dict, columns: dict[tuple[str, str], list[str]]) -> list[str]:
    """Columns of built relations that the manifest gives no description."""
    missing = []
    nodes = {**manifest["nodes"], **manifest["sources"]}
    for node in nodes.values():
        if node["resource_type"] not in ("model", "seed", "source"):
            continue
        relation = (node["schema"], node.get("alias") or node.get("identifier") or node["name"])
        described = {
            n.lower(): c.get("description", "").strip() for n, c in node.get("columns", {}).items()
        }
        if not node.get("description", "").strip():
            missing.append(f"{relation[0]}.{relation[1]} (model)")
        for column in columns.get(relation, []):
            if not described.get(column.lower()):
                missing.append(f"{relation[0]}.{relation[1]}.{column}")
    return missing


def _warehouse_columns(warehouse: Path) -> dict[tuple[str, str], list[str]]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
        ).fetchall()
    columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in rows:
        columns.setdefault((schema, table), []).append(column)
    return columns


def test_every_column_of_every_model_seed_and_source_is_described(e2e_run):
    from orchestration.dbt.manifest import ensure_manifest
    from orchestration.dbt.project import dbt_project

    manifest = json.loads(ensure_manifest(dbt_project).read_text())
    assert undescribed_columns(manifest, _warehouse_columns(e2e_run["warehouse"])) == []


def test_a_mart_column_without_a_description_fails_the_check(e2e_run):
    from orchestration.dbt.manifest import ensure_manifest
    from orchestration.dbt.project import dbt_project

    manifest = json.loads(ensure_manifest(dbt_project).read_text())
    node = manifest["nodes"]["model.whatsapp_reports.summary_sessions"]
    node["columns"]["amount_usd"]["description"] = ""
    columns = _warehouse_columns(e2e_run["warehouse"])
    assert undescribed_columns(manifest, columns) == ["marts.summary_sessions.amount_usd"]
    columns[("marts", "summary_sessions")].append("undocumented_new_column")
    assert "marts.summary_sessions.undocumented_new_column" in undescribed_columns(
        manifest, columns
    )
