"""A small hand-made landing directory whose reports are computed by hand.

24 messages over 2022-11-25, 2022-11-26 and 2023-06-15, plus a request logged twice,
redelivered webhooks, statuses out of order and 3 days late, an orphan status, an
ignored status, a template-status POST and malformed lines. The expected CSV files in
tests/expected/ were written from the rules, message by message, using the notes here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.landing_builders import write_lines

W1, W2 = "105954558954427", "107485930291844"
B1, B2, B3 = "918049276070", "390289095000", "447700900555"  # B3 is not in the registry
U_IN1, U_IN2 = "919800000001", "919800000002"
U_CA, U_DO, U_IT, U_GG, U_ZZ = (
    "14165550101",
    "18095550102",
    "393330000001",
    "441481234567",
    "99912345",
)


def ts(iso: str) -> str:
    """Unix seconds of a UTC time written as 2022-11-25T08:00:01."""
    return str(int(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp()))


def request(
    rid,
    at,
    waba,
    sender,
    to,
    type_,
    body,
    *,
    template=None,
    wamids=None,
    errors=None,
    campaign=None,
    ref=None,
    ref1=None,
    status=202,
    request_error=None,
):
    wamids = wamids or [f"w.{rid}.{i}" for i in range(len(to))]
    errors = errors or [None] * len(to)
    recipients = [
        {
            "message_id": f"{rid}:{i}",
            "to": n,
            "wamid": w,
            "error": {"code": e[0], "message": e[1]} if e else None,
        }
        for i, (n, w, e) in enumerate(zip(to, wamids, errors, strict=True))
    ]
    return {
        "request_id": rid,
        "received_at": at,
        "waba_id": waba,
        "from": sender,
        "to": to,
        "type": type_,
        "template_name": template,
        "body": body,
        "campaign_id": campaign,
        "ref": ref,
        "ref1": ref1,
        "ref2": None,
        "response": {
            "http_status": status,
            "error": (
                {"code": request_error[0], "message": request_error[1]} if request_error else None
            ),
            "recipients": recipients,
        },
    }


def post(received_at, waba, number, statuses=None, messages=None):
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": number, "phone_number_id": "1" + number},
    }
    if statuses:
        value["statuses"] = statuses
    if messages:
        value["messages"] = messages
        value["contacts"] = [{"profile": {"name": "User"}, "wa_id": messages[0]["from"]}]
    return {
        "received_at": received_at,
        "body": {
            "object": "whatsapp_business_account",
            "entry": [{"id": waba, "changes": [{"field": "messages", "value": value}]}],
        },
    }


def st(wamid, status, at, user, conv=None, origin=None, expires=None, errors=None):
    item = {"id": wamid, "status": status, "timestamp": ts(at), "recipient_id": user}
    if conv:
        item["conversation"] = {"id": conv, "origin": {"type": origin}}
        if expires:
            item["conversation"]["expiration_timestamp"] = ts(expires)
        item["pricing"] = {"billable": True, "pricing_model": "CBP", "category": origin}
    if errors:
        item["errors"] = errors
    return item


def incoming(wamid, at, user, type_, content):
    return {"from": user, "id": wamid, "timestamp": ts(at), "type": type_, type_: content}


def build(root: Path) -> Path:
    api = root / "api_logs"
    hooks = root / "webhook_logs"
    # -- 2022-11-25: requests ---------------------------------------------------------
    a1 = request(
        "a1",
        "2022-11-25T08:00:00.123Z",
        W1,
        B1,
        [U_IN1],
        "template",
        "Your order has shipped",
        template="order_update",
        ref="order-1",
    )
    write_lines(
        api / "dt=2022-11-25/part-a.jsonl",
        [
            a1,
            request("a2", "2022-11-25T08:05:00Z", W1, B1, [U_IN1], "text", "Anything else?"),
            request(
                "a3",
                "2022-11-25T09:01:00.500+00:00",
                W1,
                B1,
                [U_IN2],
                "text",
                "Hello! How can we help?",
            ),
            # A campaign: Canada delivered (then a stray failure), the Dominican Republic
            # rejected before Meta, an unknown country failed at Meta.
            request(
                "a4",
                "2022-11-25T10:00:00Z",
                W1,
                B1,
                [U_CA, U_DO, U_ZZ],
                "template",
                "Summer sale: 20% off",
                template="summer_sale",
                campaign="camp-1",
                ref="promo",
                ref1="crm",
                wamids=["w.a4.0", None, "w.a4.2"],
                errors=[None, ("E413", "Invalid recipient number"), None],
            ),
            # The whole request rejected: every recipient carries the request's error.
            request(
                "a5",
                "2022-11-25T11:00:00Z",
                W1,
                B1,
                [U_IN1],
                "template",
                "Your code is {{1}}",
                template="otp_code",
                status=400,
                wamids=[None],
                errors=[("E401", "Template not approved")],
                request_error=("E401", "Template not approved"),
            ),
            '{"request_id": "broken", "received_at": "2022-11-25T11:30:00Z", "waba_id": "10595',
            request(
                "a6",
                "2022-11-25T12:00:00Z",
                W2,
                B2,
                [U_IT],
                "template",
                "Contact us anytime",
                template="contact_us",
            ),
            request("a7", "2022-11-25T13:00:00Z", W2, B2, [U_IT], "IMAGE", "Our catalogue"),
            request("a9", "2022-11-25T14:00:00Z", W2, B2, [U_IT], "text", "Thanks for your order"),
            # Accepted by Meta, no status ever arrives: SENT, status `sent`, SENT_AT empty.
            request(
                "a10",
                "2022-11-25T15:00:00Z",
                W1,
                B1,
                [U_IN2],
                "template",
                "Your order has shipped",
                template="order_update",
            ),
            request("a8", "2022-11-25T23:59:00Z", W2, B3, [U_GG], "text", "Late night"),
        ],
    )
    # The platform logged a1 a second time, later: it counts once (R1).
    write_lines(api / "dt=2022-11-25/part-b.jsonl", [{**a1, "received_at": "2022-11-25T08:00:30Z"}])

    # -- 2022-11-25: webhooks ---------------------------------------------------------
    exp_cv1 = "2022-11-26T08:00:01"
    write_lines(
        hooks / "dt=2022-11-25/part-a.jsonl",
        [
            post(
                "2022-11-25T08:00:02Z",
                W1,
                B1,
                [
                    st(
                        "w.a1.0",
                        "sent",
                        "2022-11-25T08:00:01",
                        U_IN1,
                        "cv1",
                        "business_initiated",
                        exp_cv1,
                    )
                ],
            ),
            post(
                "2022-11-25T08:00:06Z",
                W1,
                B1,
                [
                    st(
                        "w.a1.0",
                        "delivered",
                        "2022-11-25T08:00:05",
                        U_IN1,
                        "cv1",
                        "business_initiated",
                    )
                ],
            ),
            # Out of order: a2's delivered arrives before its sent.
            post(
                "2022-11-25T08:05:04Z",
                W1,
                B1,
                [
                    st(
                        "w.a2.0",
                        "delivered",
                        "2022-11-25T08:05:03",
                        U_IN1,
                        "cv1",
                        "business_initiated",
                    )
                ],
            ),
            post(
                "2022-11-25T08:05:09Z",
                W1,
                B1,
                [
                    st(
                        "w.a2.0",
                        "sent",
                        "2022-11-25T08:05:01",
                        U_IN1,
                        "cv1",
                        "business_initiated",
                        exp_cv1,
                    )
                ],
            ),
            # Ignored status (R4) and a malformed read for a2 (quarantined, R26).
            post(
                "2022-11-25T08:06:01Z",
                W1,
                B1,
                [st("w.a2.0", "deleted", "2022-11-25T08:06:00", U_IN1)],
            ),
            '{"received_at": "2022-11-25T08:07:00Z", "body": {"entry": [{"id": "105954558954427", '
            '"changes": [{"value": {"metadata": {"display_phone_number": "918049276070"}, '
            '"statuses": [{"id": "w.a2.0", "status": "read", "timestamp": "soon"}]}}]}]}}',
            post(
                "2022-11-25T08:20:01Z",
                W1,
                B1,
                messages=[
                    incoming(
                        "wamid.in1",
                        "2022-11-25T08:20:00",
                        U_IN1,
                        "text",
                        {"body": "Yes, T-Shirt XL"},
                    )
                ],
            ),
            post(
                "2022-11-25T09:00:01Z",
                W1,
                B1,
                messages=[
                    incoming("wamid.in2", "2022-11-25T09:00:00", U_IN2, "text", {"body": "Hi"})
                ],
            ),
            # a3 is read without a delivered status: Meta implies the delivery.
            post(
                "2022-11-25T09:01:02Z",
                W1,
                B1,
                [
                    st(
                        "w.a3.0",
                        "sent",
                        "2022-11-25T09:01:01",
                        U_IN2,
                        "cv2",
                        "user_initiated",
                        "2022-11-26T09:01:01",
                    )
                ],
            ),
            post(
                "2022-11-25T09:02:01Z",
                W1,
                B1,
                [st("w.a3.0", "read", "2022-11-25T09:02:00", U_IN2, "cv2", "user_initiated")],
            ),
            # One POST with two statuses.
            post(
                "2022-11-25T10:00:03Z",
                W1,
                B1,
                [
                    st(
                        "w.a4.0",
                        "sent",
                        "2022-11-25T10:00:02",
                        U_CA,
                        "cv3",
                        "business_initiated",
                        "2022-11-26T10:00:02",
                    ),
                    st(
                        "w.a4.2",
                        "sent",
                        "2022-11-25T10:00:02",
                        U_ZZ,
                        "cv4",
                        "business_initiated",
                        "2022-11-26T10:00:02",
                    ),
                ],
            ),
            post(
                "2022-11-25T10:00:05Z",
                W1,
                B1,
                [
                    st(
                        "w.a4.0",
                        "delivered",
                        "2022-11-25T10:00:04",
                        U_CA,
                        "cv3",
                        "business_initiated",
                    )
                ],
            ),
            post(
                "2022-11-25T10:00:07Z",
                W1,
                B1,
                [
                    st(
                        "w.a4.2",
                        "failed",
                        "2022-11-25T10:00:06",
                        U_ZZ,
                        errors=[
                            {
                                "code": 131026,
                                "title": "Message undeliverable",
                                "error_data": {"details": "Receiver is incapable."},
                            }
                        ],
                    )
                ],
            ),
            post(
                "2022-11-25T10:00:10Z",
                W1,
                B1,
                [
                    st(  # a stray failure after delivery (R8)
                        "w.a4.0",
                        "failed",
                        "2022-11-25T10:00:09",
                        U_CA,
                        errors=[{"code": 131000, "title": "Something went wrong"}],
                    )
                ],
            ),
            post(
                "2022-11-25T12:00:02Z",
                W2,
                B2,
                [
                    st(
                        "w.a6.0",
                        "sent",
                        "2022-11-25T12:00:01",
                        U_IT,
                        "cv5",
                        "business_initiated",
                        "2022-11-26T12:00:01",
                    )
                ],
            ),
            post(
                "2022-11-25T12:00:04Z",
                W2,
                B2,
                [
                    st(
                        "w.a6.0",
                        "failed",
                        "2022-11-25T12:00:03",
                        U_IT,
                        errors=[
                            {
                                "code": 131047,
                                "title": "Re-engagement message",
                                "error_data": {"details": "More than 24 hours"},
                            }
                        ],
                    )
                ],
            ),
            # A click-to-WhatsApp ad message, then the reply opens a referral conversation.
            post(
                "2022-11-25T12:59:01Z",
                W2,
                B2,
                messages=[
                    {
                        **incoming(
                            "wamid.in3",
                            "2022-11-25T12:59:00",
                            U_IT,
                            "text",
                            {"body": "I saw your ad"},
                        ),
                        "referral": {
                            "source_url": "https://fb.me/x",
                            "source_id": "1",
                            "source_type": "ad",
                            "headline": "Sale",
                            "body": "Chat",
                            "ctwa_clid": "c",
                        },
                    }
                ],
            ),
            post(
                "2022-11-25T13:00:02Z",
                W2,
                B2,
                [
                    st(
                        "w.a7.0",
                        "sent",
                        "2022-11-25T13:00:01",
                        U_IT,
                        "cv6",
                        "referral_conversion",
                        "2022-11-26T13:00:01",
                    )
                ],
            ),
            post(
                "2022-11-25T13:00:03Z",
                W2,
                B2,
                [
                    st(
                        "w.a7.0",
                        "delivered",
                        "2022-11-25T13:00:02",
                        U_IT,
                        "cv6",
                        "referral_conversion",
                    )
                ],
            ),
            post(
                "2022-11-25T13:00:31Z", W2, B2, [st("w.a7.0", "read", "2022-11-25T13:00:30", U_IT)]
            ),
            post(
                "2022-11-25T13:05:01Z",
                W2,
                B2,
                messages=[
                    incoming(
                        "wamid.in4",
                        "2022-11-25T13:05:00",
                        U_IT,
                        "button",
                        {"text": "Track order", "payload": "TRACK"},
                    )
                ],
            ),
            post(
                "2022-11-25T14:00:02Z",
                W2,
                B2,
                [
                    st(
                        "w.a9.0",
                        "sent",
                        "2022-11-25T14:00:01",
                        U_IT,
                        "cv6",
                        "referral_conversion",
                        "2022-11-26T13:00:01",
                    )
                ],
            ),
            post(
                "2022-11-25T14:00:04Z",
                W2,
                B2,
                [
                    st(
                        "w.a9.0",
                        "delivered",
                        "2022-11-25T14:00:03",
                        U_IT,
                        "cv6",
                        "referral_conversion",
                    )
                ],
            ),
            post(
                "2022-11-25T15:30:01Z",
                W2,
                B3,
                messages=[
                    incoming(
                        "wamid.in6", "2022-11-25T15:30:00", U_GG, "text", {"body": "Who is this?"}
                    )
                ],
            ),
            # An orphan: no request has this wamid (R3).
            post(
                "2022-11-25T16:00:01Z",
                W1,
                B1,
                [
                    st(
                        "wamid.ghost",
                        "sent",
                        "2022-11-25T16:00:00",
                        U_IN1,
                        "cv-ghost",
                        "business_initiated",
                    )
                ],
            ),
            {
                "received_at": "2022-11-25T17:00:00Z",
                "body": {
                    "object": "whatsapp_business_account",
                    "entry": [
                        {
                            "id": W1,
                            "changes": [
                                {
                                    "field": "message_template_status_update",
                                    "value": {"event": "APPROVED"},
                                }
                            ],
                        }
                    ],
                },
            },
            post(
                "2022-11-25T23:59:02Z",
                W2,
                B3,
                [
                    st(
                        "w.a8.0",
                        "sent",
                        "2022-11-25T23:59:01",
                        U_GG,
                        "cv7",
                        "business_initiated",
                        "2022-11-26T23:59:01",
                    )
                ],
            ),
        ],
    )

    # -- 2022-11-26 --------------------------------------------------------------------
    write_lines(
        api / "dt=2022-11-26/part-a.jsonl",
        [
            request("b1", "2022-11-26T07:00:00Z", W1, B1, [U_IN1], "text", "Following up"),
            request(
                "b2",
                "2022-11-26T09:00:00Z",
                W1,
                B1,
                [U_IN1],
                "template",
                "Your parcel arrives today",
                template="delivery_reminder",
            ),
        ],
    )
    write_lines(
        hooks / "dt=2022-11-26/part-a.jsonl.gz",
        [
            # Meta retries a1's delivered and in1: they count once.
            post(
                "2022-11-26T03:00:00Z",
                W1,
                B1,
                [
                    st(
                        "w.a1.0",
                        "delivered",
                        "2022-11-25T08:00:05",
                        U_IN1,
                        "cv1",
                        "business_initiated",
                    )
                ],
            ),
            post(
                "2022-11-26T03:00:01Z",
                W1,
                B1,
                messages=[
                    incoming(
                        "wamid.in1",
                        "2022-11-25T08:20:00",
                        U_IN1,
                        "text",
                        {"body": "Yes, T-Shirt XL"},
                    )
                ],
            ),
            post(
                "2022-11-26T07:00:02Z",
                W1,
                B1,
                [
                    st(
                        "w.b1.0",
                        "sent",
                        "2022-11-26T07:00:01",
                        U_IN1,
                        "cv1",
                        "business_initiated",
                        exp_cv1,
                    )
                ],
            ),
            post(
                "2022-11-26T07:00:04Z",
                W1,
                B1,
                [
                    st(
                        "w.b1.0",
                        "delivered",
                        "2022-11-26T07:00:03",
                        U_IN1,
                        "cv1",
                        "business_initiated",
                    )
                ],
            ),
            # After cv1's window and before cv8 opens: no conversation (R18).
            post(
                "2022-11-26T08:30:01Z",
                W1,
                B1,
                messages=[
                    incoming("wamid.in5", "2022-11-26T08:30:00", U_IN1, "text", {"body": "Thanks"})
                ],
            ),
            post(
                "2022-11-26T09:00:02Z",
                W1,
                B1,
                [
                    st(
                        "w.b2.0",
                        "sent",
                        "2022-11-26T09:00:01",
                        U_IN1,
                        "cv8",
                        "business_initiated",
                        "2022-11-27T09:00:01",
                    )
                ],
            ),
            post(
                "2022-11-26T09:00:03Z",
                W1,
                B1,
                [
                    st(
                        "w.b2.0",
                        "delivered",
                        "2022-11-26T09:00:02",
                        U_IN1,
                        "cv8",
                        "business_initiated",
                    )
                ],
            ),
            post(
                "2022-11-26T09:30:01Z", W1, B1, [st("w.b2.0", "read", "2022-11-26T09:30:00", U_IN1)]
            ),
            # Inside cv3's window (it ends 2022-11-26T10:00:02).
            post(
                "2022-11-26T10:00:01Z",
                W1,
                B1,
                messages=[
                    incoming(
                        "wamid.in7",
                        "2022-11-26T10:00:00",
                        U_CA,
                        "image",
                        {"id": "m1", "mime_type": "image/jpeg", "caption": "receipt"},
                    )
                ],
            ),
        ],
    )

    # -- 2022-11-28: late statuses for 2022-11-25 ----------------------------------------
    write_lines(
        hooks / "dt=2022-11-28/late.jsonl",
        [
            post(
                "2022-11-28T05:00:00Z", W1, B1, [st("w.a1.0", "read", "2022-11-25T08:10:00", U_IN1)]
            ),
            # a8 was delivered just after midnight: its conversation opens on 2022-11-26.
            post(
                "2022-11-28T06:00:00Z",
                W2,
                B3,
                [
                    st(
                        "w.a8.0",
                        "delivered",
                        "2022-11-26T00:00:10",
                        U_GG,
                        "cv7",
                        "business_initiated",
                    )
                ],
            ),
        ],
    )

    # -- 2023-06-15: the category era, where only service conversations use the tier ----
    write_lines(
        api / "dt=2023-06-15/part-a.jsonl",
        [
            request(
                "c1",
                "2023-06-15T10:00:00Z",
                W1,
                B1,
                [U_IN1],
                "template",
                "Summer sale: 20% off",
                template="summer_sale",
            ),
            request(
                "c2", "2023-06-15T11:00:00Z", W1, B1, [U_CA], "text", "Your ticket is resolved"
            ),
            request(
                "c3",
                "2023-06-15T12:00:00Z",
                W2,
                B2,
                [U_IT],
                "template",
                "Contact us anytime",
                template="contact_us",
            ),
        ],
    )
    june = []
    for rid, waba, number, user, conv, origin, hour in [
        ("c1", W1, B1, U_IN1, "cv9", "marketing", 10),
        ("c2", W1, B1, U_CA, "cv10", "service", 11),
        ("c3", W2, B2, U_IT, "cv11", "utility", 12),
    ]:
        june += [
            post(
                f"2023-06-15T{hour}:00:02Z",
                waba,
                number,
                [
                    st(
                        f"w.{rid}.0",
                        "sent",
                        f"2023-06-15T{hour}:00:01",
                        user,
                        conv,
                        origin,
                        f"2023-06-16T{hour}:00:01",
                    )
                ],
            ),
            post(
                f"2023-06-15T{hour}:00:04Z",
                waba,
                number,
                [st(f"w.{rid}.0", "delivered", f"2023-06-15T{hour}:00:03", user, conv, origin)],
            ),
        ]
    write_lines(hooks / "dt=2023-06-15/part-a.jsonl", june)

    # -- registry: B1 renamed after the first snapshot; B3 missing ----------------------
    registry = root / "phone_numbers"
    registry.mkdir(parents=True, exist_ok=True)
    header = "waba_id,phone_number,phone_number_id,display_name,updated_at\n"
    (registry / "2022-10-01.csv").write_text(
        header + f"{W1},{B1},106540352242922,Acme Support,2022-10-01T00:00:00Z\n"
        f'{W2},{B2},106540352242923,"Kaleyra Italy (MWC + Tiledesk)",2022-10-01T00:00:00Z\n'
    )
    (registry / "2022-11-30.csv").write_text(
        header + f"{W1},{B1},106540352242922,Acme India Support,2022-11-30T00:00:00Z\n"
    )
    return root
