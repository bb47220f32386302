"""One self-contained HTML page for stakeholders, read from the serving copy of the marts.

Charts: the daily delivery funnel, the top failure reasons, sessions and amount by
country and session type, free-tier use per WABA against its limit, and for the
per-message era charges by category and market, volume-tier progress per business
portfolio and month, and free allowance use per business number. plotly.js is
inlined once, so the page opens from disk with no network. Amounts are exact decimals
in the tiles; bar heights are drawn from them (display only).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from orchestration.publish.export import report_date
from orchestration.warehouse import date_range_filter

FUNNEL = [
    ("created", "#636efa"),
    ("sent", "#00cc96"),
    ("delivered", "#19d3f3"),
    ("read", "#ab63fa"),
    ("failed", "#ef553b"),
]
TOP_COUNTRIES = 10


@dataclass(frozen=True)
class Chart:
    div_id: str
    title: str
    figure: go.Figure


def _where(
    date_column: str, date_from: str | None, date_to: str | None, waba_id: str | None = None
) -> tuple[str, list]:
    conditions, params = date_range_filter(date_column, date_from, date_to, waba_id)
    return (" where " + " and ".join(conditions)) if conditions else "", params


def _period(conn, where: str, params: list, date_from: str | None, date_to: str | None) -> str:
    """The dates the page covers: those of the data (messages or sessions) within the
    range asked for."""
    first, last = conn.execute(
        f"""
        select min(report_date), max(report_date) from (
            select report_date from marts.summary_messages {where}
            union all
            select report_date from marts.summary_sessions {where}
            union all
            select report_date from marts.summary_charges {where}
        )""",
        params * 3,
    ).fetchone()
    if first is None:
        asked = f"{date_from or 'the first day'} to {date_to or 'the last day'}"
        return f"no data from {asked}"
    return f"{report_date(first)} to {report_date(last)}"


def _layout(figure: go.Figure, title: str, **extra) -> go.Figure:
    layout = {
        "title": title,
        "template": "plotly_white",
        "height": 420,
        "margin": {"l": 60, "r": 20, "t": 60, "b": 60},
        **extra,
    }
    figure.update_layout(**layout)
    if not figure.data:
        figure.add_annotation(
            text="no data in this range", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5
        )
    return figure


def funnel_chart(conn, where: str, params: list) -> Chart:
    rows = conn.execute(
        f"""
        select report_date, sum(created), sum(sent), sum(delivered), sum(read), sum(failed)
        from marts.summary_messages {where} group by report_date order by report_date""",
        params,
    ).fetchall()
    figure = go.Figure()
    if rows:
        days = [r[0] for r in rows]
        for index, (name, color) in enumerate(FUNNEL, start=1):
            figure.add_bar(
                name=name, x=days, y=[int(r[index] or 0) for r in rows], marker_color=color
            )
    return Chart(
        "chart-funnel",
        "Daily delivery funnel",
        _layout(figure, "Daily delivery funnel (outgoing messages)", barmode="group"),
    )


def failure_chart(conn, where: str, params: list) -> Chart:
    rows = conn.execute(
        f"""
        select reason_for_failure, count(*) as failed
        from marts.tabular_report {where.replace("report_date", "cast(created_at as date)")}
        {"and" if where else "where"} reason_for_failure is not null
        group by reason_for_failure order by failed desc, reason_for_failure limit 10""",
        params,
    ).fetchall()
    figure = go.Figure()
    if rows:
        rows = list(reversed(rows))
        figure.add_bar(
            x=[r[1] for r in rows],
            y=[r[0] if len(r[0]) <= 60 else r[0][:57] + "..." for r in rows],
            orientation="h",
            marker_color="#ef553b",
            hovertext=[r[0] for r in rows],
        )
    return Chart(
        "chart-failures",
        "Top failure reasons",
        _layout(figure, "Top failure reasons", margin={"l": 380, "r": 20, "t": 60, "b": 40}),
    )


def _by_country(conn, measure: str, where: str, params: list) -> tuple[list, dict]:
    rows = conn.execute(
        f"""
        with totals as (
            select country, sum(number_of_sessions) as sessions
            from marts.summary_sessions {where} group by country
            order by sessions desc, country limit {TOP_COUNTRIES}
        )
        select s.country, s.session_type, sum(s.{measure})
        from marts.summary_sessions as s join totals using (country)
        {where.replace("report_date", "s.report_date")}
        group by s.country, s.session_type, totals.sessions
        order by totals.sessions desc, s.country, s.session_type""",
        params * 2,
    ).fetchall()
    countries = list(dict.fromkeys(r[0] for r in rows))
    by_type: dict[str, dict[str, Decimal]] = {}
    for country, session_type, value in rows:
        by_type.setdefault(session_type, {})[country] = value
    return countries, by_type


def sessions_chart(conn, where: str, params: list) -> Chart:
    countries, by_type = _by_country(conn, "number_of_sessions", where, params)
    figure = go.Figure()
    for session_type, values in by_type.items():
        figure.add_bar(name=session_type, x=countries, y=[int(values.get(c, 0)) for c in countries])
    return Chart(
        "chart-sessions",
        "Sessions by country and session type",
        _layout(
            figure, f"Sessions by country and session type (top {TOP_COUNTRIES})", barmode="stack"
        ),
    )


def amount_chart(conn, where: str, params: list) -> Chart:
    countries, by_type = _by_country(conn, "amount_usd", where, params)
    figure = go.Figure()
    for session_type, values in by_type.items():
        amounts = [values.get(c, Decimal(0)) for c in countries]
        figure.add_bar(
            name=session_type,
            x=countries,
            y=[float(a) for a in amounts],
            hovertext=[f"{a.normalize():f} USD" for a in amounts],
        )
    return Chart(
        "chart-amount",
        "Amount by country and session type",
        _layout(figure, "Amount charged (USD) by country and session type", barmode="stack"),
    )


def free_tier_chart(conn, where: str, params: list) -> Chart:
    rows = conn.execute(
        f"""
        select waba_id, strftime(opened_month, '%Y-%m') as month,
            sum(case when is_free_tier then 1 else 0 end) as free_used,
            max(free_tier_monthly_limit) as monthly_limit
        from marts.fct_conversations
        {where.replace("report_date", "opened_date")} {"and" if where else "where"} is_opened
        group by waba_id, opened_month order by waba_id, opened_month""",
        params,
    ).fetchall()
    figure = go.Figure()
    if rows:
        labels = [f"{r[0]} {r[1]}" for r in rows]
        figure.add_bar(
            name="free conversations used",
            x=labels,
            y=[int(r[2]) for r in rows],
            marker_color="#00cc96",
        )
        figure.add_scatter(
            name="monthly limit",
            x=labels,
            y=[r[3] or 0 for r in rows],
            mode="markers",
            marker={"symbol": "line-ew-open", "size": 40, "color": "#ef553b", "line": {"width": 3}},
        )
    return Chart(
        "chart-free-tier",
        "Free-tier use per WABA",
        _layout(figure, "Free-tier use per WABA and month against its limit"),
    )


def charges_chart(conn, where: str, params: list) -> Chart:
    rows = conn.execute(
        f"""
        select market, pricing_category, currency, sum(amount) as amount
        from marts.summary_charges {where} {"and" if where else "where"} charged > 0
        group by market, pricing_category, currency
        order by currency, market, pricing_category""",
        params,
    ).fetchall()
    figure = go.Figure()
    markets = sorted({r[0] for r in rows})
    series: dict[tuple[str, str], dict[str, Decimal]] = {}
    for market, category, currency, amount in rows:
        series.setdefault((category, currency), {})[market] = amount
    for (category, currency), values in series.items():
        amounts = [values.get(m, Decimal(0)) for m in markets]
        figure.add_bar(
            name=f"{category} ({currency})",
            x=markets,
            y=[float(a) for a in amounts],
            hovertext=[f"{a.normalize():f} {currency}" for a in amounts],
        )
    return Chart(
        "chart-charges",
        "Charges by category and market",
        _layout(
            figure,
            "Per-message charges by market and category (each in its WABA's currency)",
            barmode="stack",
        ),
    )


def tier_chart(conn, where: str, params: list) -> Chart:
    rows = conn.execute(
        f"""
        select business_portfolio_id, billing_month, market, pricing_category,
            max(tier_place) as counted, arg_max(tier, tier_place) as tier
        from marts.fct_message_charges
        {where} {"and" if where else "where"} tier is not null
        group by all order by business_portfolio_id, billing_month, market, pricing_category""",
        params,
    ).fetchall()
    figure = go.Figure()
    if rows:
        figure.add_bar(
            name="charged messages counted toward the tier",
            x=[f"{r[0]} {r[1]} {r[2]} {r[3]}" for r in rows],
            y=[int(r[4]) for r in rows],
            text=[f"tier {r[5]}" for r in rows],
            marker_color="#636efa",
        )
    return Chart(
        "chart-tiers",
        "Volume-tier progress per portfolio and month",
        _layout(
            figure,
            "Volume-tier progress: charged messages per portfolio, month, market and category",
        ),
    )


def allowance_chart(conn, where: str, params: list) -> Chart:
    rows = conn.execute(
        f"""
        select business_number, billing_month, pricing_category,
            count(*) filter (where pricing_type = 'free_allowance') as free_used,
            max(free_monthly_quota) as quota
        from marts.fct_message_charges
        {where} {"and" if where else "where"} free_monthly_quota is not null
        group by all order by business_number, billing_month, pricing_category""",
        params,
    ).fetchall()
    figure = go.Figure()
    if rows:
        labels = [f"{r[0]} {r[1]} {r[2]}" for r in rows]
        figure.add_bar(
            name="free messages used", x=labels, y=[int(r[3]) for r in rows], marker_color="#00cc96"
        )
        figure.add_scatter(
            name="monthly allowance",
            x=labels,
            y=[int(r[4]) for r in rows],
            mode="markers",
            marker={"symbol": "line-ew-open", "size": 40, "color": "#ef553b", "line": {"width": 3}},
        )
    return Chart(
        "chart-allowance",
        "Free allowance use per business number",
        _layout(figure, "Free monthly allowance use per business number, month and category"),
    )


def _tiles(conn, where: str, params: list) -> list[tuple[str, str]]:
    created, delivered, sent, received = conn.execute(
        f"select coalesce(sum(created), 0), coalesce(sum(delivered), 0), "
        f"coalesce(sum(sent), 0), coalesce(sum(received), 0) "
        f"from marts.summary_messages {where}",
        params,
    ).fetchone()
    sessions, amount = conn.execute(
        f"select coalesce(sum(number_of_sessions), 0), coalesce(sum(amount_usd), 0) "
        f"from marts.summary_sessions {where}",
        params,
    ).fetchone()
    charges = conn.execute(
        f"select currency, sum(charged), sum(amount) from marts.summary_charges {where}"
        " group by currency order by currency",
        params,
    ).fetchall()
    rate = f"{delivered / sent:.1%}" if sent else "-"
    return [
        ("messages created", f"{created:,}"),
        ("delivered / sent", rate),
        ("messages received", f"{received:,}"),
        ("sessions", f"{sessions:,}"),
        ("sessions amount (USD)", f"${Decimal(amount).normalize():f}"),
    ] + [
        (
            f"messages charged, amount ({currency})",
            f"{charged:,}: {Decimal(total).normalize():f} {currency}",
        )
        for currency, charged, total in charges
    ]


def build_report(
    conn: duckdb.DuckDBPyConnection,
    out: Path,
    date_from: str | None = None,
    date_to: str | None = None,
    waba_id: str | None = None,
) -> list[str]:
    """Write the page from the serving copy `conn` reads (serving.connect_read_only), for
    every WABA or one; return the ids of the chart divs it holds."""
    where, params = _where("report_date", date_from, date_to, waba_id)
    period = _period(conn, where, params, date_from, date_to)
    charts = [
        builder(conn, where, params)
        for builder in (
            funnel_chart,
            failure_chart,
            sessions_chart,
            amount_chart,
            free_tier_chart,
            charges_chart,
            tier_chart,
            allowance_chart,
        )
    ]
    tiles = _tiles(conn, where, params)
    scope = f"WABA {waba_id}" if waba_id else "every WABA"
    tile_html = "".join(
        f'<div class="tile"><div class="value">{html.escape(v)}</div>'
        f'<div class="label">{html.escape(k)}</div></div>'
        for k, v in tiles
    )
    chart_html = "".join(
        f"<section><h2>{html.escape(c.title)}</h2>"
        + c.figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=c.div_id,
            config={"displaylogo": False, "responsive": True},
        )
        + "</section>"
        for c in charts
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>WhatsApp reports, {html.escape(scope)}: {html.escape(period)}</title>
<script>{get_plotlyjs()}</script>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; }}
.tiles {{ display: flex; gap: 1rem; flex-wrap: wrap; margin: 1rem 0 2rem; }}
.tile {{ background: #f4f6fb; border-radius: 8px; padding: 1rem 1.5rem; min-width: 150px; }}
.tile .value {{ font-size: 1.6rem; font-weight: 600; }}
.tile .label {{ color: #666; }}
section {{ margin-bottom: 2rem; }}
</style></head>
<body>
<h1>WhatsApp Business reports</h1>
<p>Period: {html.escape(period)} (UTC dates). WABA: {html.escape(scope)}. Session
amounts in US dollars (USD), as the Sessions report charges them; per-message charges in
each WABA's billing currency, never converted. Source: the serving copy of the marts.</p>
<div class="tiles">{tile_html}</div>
{chart_html}
</body></html>
""",
        encoding="utf-8",
    )
    return [c.div_id for c in charts]
