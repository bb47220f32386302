"""A small hand-made landing directory across the switch to per-message pricing, whose
four reports are computed by hand (tests/expected/per_message/).

Three WABAs in the `wabas` registry: W1 (Asia/Kolkata, USD) and W2 (America/New_York,
USD) in one business portfolio, W3 (Asia/Kolkata, INR) in another. Messages:

- p1, p2 (W1): a conversation-priced utility conversation opened 2025-06-30 18:00:10
  UTC; p2, created 18:40 UTC (00:10 on 2025-07-01 in Kolkata), is still labelled CBP and
  is In Conversation of it (a CBP conversation spanning the switch).
- p3 (W2): no label, created 2025-07-01 02:00 UTC = 2025-06-30 22:00 in New York: CBP by
  the era of its local date; it has no conversation, so no session.
- p4 (W2): no label, created 2025-07-01 05:00 UTC = 01:00 in New York: PMP, delivered,
  unpriced (Charges report row without category and type).
- 2026-11-10, W1 and W2 (portfolio P1), India utility: p5 (label on `sent` only, regular)
  delivered 10:00:05 -> place 1, tier 0:10000; p8 (read with no delivered, label
  free_customer_service: utility inside the window, charged from 2026-10-01) read
  11:00:00 -> place 2; an announcement of 10001:100000 for P1, INDIA, UTILITY, 2026-11
  at 12:00:00 (from W2, logged twice); p6 (W2 to an Indian user; `sent` says
  free_customer_service, `delivered` says regular: delivered wins) delivered 13:00:05 ->
  place 3, raised to 10001:100000 by the announcement.
- p7 (W1): service, free_customer_service -> the number's first free service message
  (free_allowance). p9 (W1): utility, free_entry_point: never charged.
- p10 (W1): India marketing, regular: no tiers, the 2026-01-01 card rate 0.0118.
- p11 (W1): `authentication-international` (dash), regular: India's tier 0:10000, 0.0280.
- p12 (W3, INR): India marketing, regular: the INR card, 1.0030.
- p13 (W1): utility, regular, delivered 2026-11-30 19:00:00 UTC = 2026-12-01 00:30 in
  Kolkata: billing month 2026-12 (place 1 there), DATE Nov 30, 2026.
- p14 (W1): to Kenya, marketing, regular: Rest of Africa since 2025-07-01, 0.0225.
- p15 (W1): sent with a label, never delivered: PMP, not charged, not in the report.
- p16 (W1): rejected before Meta: no pricing model.
- i1: an incoming message to W1's number.
- An announcement for region ATLANTIS is ignored (counted).
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e_landing import incoming, post, request, ts
from tests.landing_builders import write_lines

W1, W2, W3 = "201000000000001", "201000000000002", "201000000000003"
P1, P3 = "900000000000001", "900000000000003"
N1, N2, N3 = "918000000001", "12025550100", "918000000003"
U1, U2, U3, U4, U5 = (
    "919876500001",
    "919876500002",
    "919876500003",
    "919876500004",
    "919876500005",
)
U_US, U_KE = "12025550111", "254712345678"


def label(model, category, type_=None, billable=True):
    pricing = {"billable": billable, "pricing_model": model, "category": category}
    if type_:
        pricing["type"] = type_
    return pricing


def pst(wamid, status, at, user, pricing=None, conv=None, origin=None):
    item = {"id": wamid, "status": status, "timestamp": ts(at), "recipient_id": user}
    if conv:
        item["conversation"] = {"id": conv, "origin": {"type": origin}}
    if pricing:
        item["pricing"] = pricing
    return item


def announcement(received_at, waba, at, region, category, tier, month):
    info = {
        "tier_update_time": int(ts(at)),
        "pricing_category": category,
        "tier": tier,
        "effective_month": month,
        "region": region,
    }
    return {
        "received_at": received_at,
        "body": {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": waba,
                    "time": int(ts(at)),
                    "changes": [
                        {
                            "field": "account_update",
                            "value": {
                                "event": "VOLUME_BASED_PRICING_TIER_UPDATE",
                                "volume_tier_info": info,
                            },
                        }
                    ],
                }
            ],
        },
    }


def template(rid, at, waba, sender, user, name="order_update", wamid=True):
    return request(
        rid,
        at,
        waba,
        sender,
        [user],
        "template",
        f"{name} body",
        template=name,
        wamids=[f"w.{rid}" if wamid else None],
        errors=None if wamid else [("E413", "Invalid recipient number")],
    )


def build(root: Path) -> Path:
    api = root / "api_logs"
    hooks = root / "webhook_logs"
    cbp_utility = label("CBP", "utility")
    # -- the switch, 2025-06-30 / 2025-07-01 ------------------------------------------
    write_lines(
        api / "dt=2025-06-30" / "part-0.jsonl",
        [
            template("p1", "2025-06-30T18:00:00.000Z", W1, N1, U1),
            template("p2", "2025-06-30T18:40:00.000Z", W1, N1, U1),
        ],
    )
    write_lines(
        api / "dt=2025-07-01" / "part-0.jsonl",
        [
            request(
                "p3", "2025-07-01T02:00:00.000Z", W2, N2, [U_US], "text", "hello", wamids=["w.p3"]
            ),
            request(
                "p4",
                "2025-07-01T05:00:00.000Z",
                W2,
                N2,
                [U_US],
                "text",
                "hello again",
                wamids=["w.p4"],
            ),
        ],
    )
    write_lines(
        hooks / "dt=2025-06-30" / "part-0.jsonl",
        [
            post(
                "2025-06-30T18:00:06.000Z",
                W1,
                N1,
                statuses=[
                    pst("w.p1", "sent", "2025-06-30T18:00:05", U1, cbp_utility, "c1", "utility"),
                ],
            ),
            post(
                "2025-06-30T18:00:11.000Z",
                W1,
                N1,
                statuses=[
                    pst(
                        "w.p1", "delivered", "2025-06-30T18:00:10", U1, cbp_utility, "c1", "utility"
                    ),
                ],
            ),
            post(
                "2025-06-30T18:40:06.000Z",
                W1,
                N1,
                statuses=[
                    pst("w.p2", "sent", "2025-06-30T18:40:05", U1, cbp_utility, "c1", "utility"),
                    pst(
                        "w.p2", "delivered", "2025-06-30T18:40:10", U1, cbp_utility, "c1", "utility"
                    ),
                ],
            ),
        ],
    )
    write_lines(
        hooks / "dt=2025-07-01" / "part-0.jsonl",
        [
            post(
                "2025-07-01T02:00:11.000Z",
                W2,
                N2,
                statuses=[
                    pst("w.p3", "sent", "2025-07-01T02:00:05", U_US),
                    pst("w.p3", "delivered", "2025-07-01T02:00:10", U_US),
                ],
            ),
            post(
                "2025-07-01T05:00:11.000Z",
                W2,
                N2,
                statuses=[
                    pst("w.p4", "sent", "2025-07-01T05:00:05", U_US),
                    pst("w.p4", "delivered", "2025-07-01T05:00:10", U_US),
                ],
            ),
        ],
    )
    # -- November 2026 ------------------------------------------------------------------
    regular = {c: label("PMP", c, "regular") for c in ("utility", "marketing")}
    free_service = label("PMP", "utility", "free_customer_service", billable=False)
    write_lines(
        api / "dt=2026-11-10" / "part-0.jsonl",
        [
            template("p5", "2026-11-10T10:00:00.000Z", W1, N1, U1, "payment_due"),
            template("p6", "2026-11-10T13:00:00.000Z", W2, N2, U2, "payment_due"),
            request(
                "p7",
                "2026-11-10T09:30:00.000Z",
                W1,
                N1,
                [U3],
                "text",
                "How can we help?",
                wamids=["w.p7"],
            ),
            template("p8", "2026-11-10T10:59:50.000Z", W1, N1, U3, "receipt"),
            template("p9", "2026-11-10T09:45:00.000Z", W1, N1, U3, "ad_reply"),
            template("p10", "2026-11-10T10:30:00.000Z", W1, N1, U1, "sale"),
            template("p11", "2026-11-10T10:45:00.000Z", W1, N1, U4, "login_code"),
            template("p12", "2026-11-10T09:00:00.000Z", W3, N3, U5, "sale"),
            template("p14", "2026-11-10T11:30:00.000Z", W1, N1, U_KE, "sale"),
            template("p15", "2026-11-10T11:40:00.000Z", W1, N1, U1, "payment_due"),
            template("p16", "2026-11-10T11:50:00.000Z", W1, N1, U1, "payment_due", wamid=False),
        ],
    )
    write_lines(
        api / "dt=2026-11-30" / "part-0.jsonl",
        [template("p13", "2026-11-30T18:59:55.000Z", W1, N1, U1, "payment_due")],
    )
    write_lines(
        hooks / "dt=2026-11-10" / "part-0.jsonl",
        [
            post(
                "2026-11-10T10:00:06.000Z",
                W1,
                N1,
                statuses=[
                    pst("w.p5", "sent", "2026-11-10T10:00:01", U1, regular["utility"]),
                    pst("w.p5", "delivered", "2026-11-10T10:00:05", U1),
                ],
            ),
            post(
                "2026-11-10T09:30:06.000Z",
                W1,
                N1,
                statuses=[
                    pst(
                        "w.p7",
                        "sent",
                        "2026-11-10T09:30:01",
                        U3,
                        label("PMP", "service", "free_customer_service", billable=False),
                    ),
                    pst(
                        "w.p7",
                        "delivered",
                        "2026-11-10T09:30:05",
                        U3,
                        label("PMP", "service", "free_customer_service", billable=False),
                    ),
                ],
            ),
            post(
                "2026-11-10T11:00:01.000Z",
                W1,
                N1,
                statuses=[
                    pst("w.p8", "sent", "2026-11-10T10:59:55", U3),
                    pst("w.p8", "read", "2026-11-10T11:00:00", U3, free_service),
                ],
            ),
            post(
                "2026-11-10T09:45:06.000Z",
                W1,
                N1,
                statuses=[
                    pst(
                        "w.p9",
                        "delivered",
                        "2026-11-10T09:45:05",
                        U3,
                        label("PMP", "utility", "free_entry_point", billable=False),
                        "fep-1",
                        "referral_conversion",
                    ),
                ],
            ),
            post(
                "2026-11-10T10:30:06.000Z",
                W1,
                N1,
                statuses=[
                    pst("w.p10", "delivered", "2026-11-10T10:30:05", U1, regular["marketing"]),
                ],
            ),
            post(
                "2026-11-10T10:45:06.000Z",
                W1,
                N1,
                statuses=[
                    pst(
                        "w.p11",
                        "delivered",
                        "2026-11-10T10:45:05",
                        U4,
                        label("PMP", "authentication-international", "regular"),
                    ),
                ],
            ),
            post(
                "2026-11-10T09:00:06.000Z",
                W3,
                N3,
                statuses=[
                    pst("w.p12", "delivered", "2026-11-10T09:00:05", U5, regular["marketing"]),
                ],
            ),
            post(
                "2026-11-10T11:30:06.000Z",
                W1,
                N1,
                statuses=[
                    pst("w.p14", "delivered", "2026-11-10T11:30:05", U_KE, regular["marketing"]),
                ],
            ),
            post(
                "2026-11-10T11:40:06.000Z",
                W1,
                N1,
                statuses=[
                    pst("w.p15", "sent", "2026-11-10T11:40:05", U1, regular["utility"]),
                ],
            ),
            announcement(
                "2026-11-10T12:00:01.000Z",
                W2,
                "2026-11-10T12:00:00",
                "INDIA",
                "UTILITY",
                "10001:100000",
                "2026-11",
            ),
            announcement(
                "2026-11-10T12:00:02.000Z",
                W1,
                "2026-11-10T12:00:00",
                "ATLANTIS",
                "UTILITY",
                "10001:100000",
                "2026-11",
            ),
            post(
                "2026-11-10T13:00:06.000Z",
                W2,
                N2,
                statuses=[
                    pst("w.p6", "sent", "2026-11-10T13:00:01", U2, free_service),
                    pst("w.p6", "delivered", "2026-11-10T13:00:05", U2, regular["utility"]),
                ],
            ),
            post(
                "2026-11-10T14:00:00.000Z",
                W1,
                N1,
                messages=[
                    incoming("i1", "2026-11-10T13:59:00", U1, "text", {"body": "thanks"}),
                ],
            ),
        ],
    )
    write_lines(
        hooks / "dt=2026-11-11" / "part-0.jsonl",
        [
            # Meta retried the announcement a day later: it counts from its first time.
            announcement(
                "2026-11-11T08:00:00.000Z",
                W2,
                "2026-11-10T12:00:00",
                "INDIA",
                "UTILITY",
                "10001:100000",
                "2026-11",
            ),
        ],
    )
    write_lines(
        hooks / "dt=2026-11-30" / "part-0.jsonl",
        [
            post(
                "2026-11-30T19:00:06.000Z",
                W1,
                N1,
                statuses=[
                    pst("w.p13", "delivered", "2026-11-30T19:00:00", U1, regular["utility"]),
                ],
            ),
        ],
    )
    (root / "phone_numbers").mkdir(parents=True)
    (root / "phone_numbers" / "registry.csv").write_text(
        "waba_id,phone_number,phone_number_id,display_name,updated_at\n"
        f"{W1},{N1},1{N1},Acme India,2025-01-01T00:00:00Z\n"
        f"{W2},{N2},1{N2},Acme US,2025-01-01T00:00:00Z\n"
        f"{W3},{N3},1{N3},Bharat Traders,2025-01-01T00:00:00Z\n"
    )
    (root / "wabas").mkdir(parents=True)
    (root / "wabas" / "registry.csv").write_text(
        "waba_id,business_portfolio_id,name,timezone,currency,updated_at\n"
        f"{W1},{P1},Acme India,Asia/Kolkata,USD,2025-01-01T00:00:00Z\n"
        f"{W2},{P1},Acme US,America/New_York,USD,2025-01-01T00:00:00Z\n"
        f"{W3},{P3},Bharat Traders,Asia/Kolkata,INR,2025-01-01T00:00:00Z\n"
    )
    return root
