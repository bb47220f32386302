"""Deterministic synthetic landing data: every feature of the landing zone (docs/landing.md).

The simulation walks day by day. Each day it creates outgoing requests (templates,
session messages, campaigns with several recipients) and incoming user messages,
keeps one conversation per business number and user while its 24-hour window is open,
and emits Meta's status webhooks with realistic delays: out of order, duplicated,
batched, and some landing 1-8 days late in later `dt` folders. About 0.1 % of lines are
broken on purpose (truncated JSON, missing fields, wrong types, bad timestamps).

Events of day d are logged on day d or later, so once day d is simulated every folder
before d is complete and is written out: memory holds about nine days of late events.
"""

from __future__ import annotations

import gzip
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson

DAY = 86_400
MAX_LATE_DAYS = 8

# (business number, WABA, display name, weight). The last number is deliberately
# missing from the registry (R30: numbers missing from the registry are visible).
BUSINESS_NUMBERS = [
    ("918049276070", "105954558954427", "Acme India Support", 5),
    ("918049276071", "105954558954427", "Acme India Offers", 3),
    ("390289095000", "107485930291844", "Kaleyra Italy (MWC + Tiledesk)", 3),
    ("14155550100", "109283746501928", "Acme US Alerts", 3),
    ("447700900555", "109283746501928", None, 1),
]
RENAMED = ("918049276071", "Acme India Deals")

# (calling prefix, digits after the prefix, weight): users in many countries, +1 split
# into the US, Canada and the Caribbean, +44 into the UK and Guernsey, +7 into Russia
# and Kazakhstan, and a prefix no country owns.
USER_COUNTRIES = [
    ("9198", 8, 30),
    ("9170", 8, 10),
    ("1212", 7, 6),
    ("1415", 7, 4),
    ("1416", 7, 4),
    ("1604", 7, 2),
    ("1787", 7, 1),
    ("1809", 7, 1),
    ("1876", 7, 1),
    ("447400", 6, 6),
    ("447911", 6, 1),
    ("441481", 6, 1),
    ("393", 9, 7),
    ("55119", 8, 5),
    ("62812", 8, 4),
    ("49151", 8, 3),
    ("7701", 7, 2),
    ("7916", 7, 2),
    ("34612", 6, 2),
    ("33612", 6, 2),
    ("2348", 9, 2),
    ("2782", 7, 1),
    ("52155", 8, 1),
    ("97150", 7, 1),
    ("999", 8, 1),
]
TEMPLATES = ["order_update", "delivery_reminder", "otp_code", "summer_sale", "contact_us"]
SESSION_TYPES = ["text", "text", "text", "image", "document", "interactive", "location", "video"]
META_ERRORS = [
    (131047, "Re-engagement message"),
    (131026, "Message undeliverable"),
    (131049, "Healthy ecosystem engagement"),
    (131048, "Spam rate limit hit"),
    (130472, "User's number is part of an experiment"),
    (131000, "Something went wrong"),
    (135000, "Generic user error"),  # not in the error-code seed: falls back to details
]
RECIPIENT_ERRORS = [("E413", "Invalid recipient number"), ("E415", "Recipient opted out")]
REQUEST_ERRORS = [("E401", "Template not approved"), ("E429", "Rate limit exceeded")]
INCOMING_TYPES = ["text"] * 14 + [
    "image",
    "image",
    "button",
    "button",
    "interactive",
    "location",
    "document",
    "reaction",
]
NEW_ERA = date(2023, 6, 1)
# Per-message pricing (R31-R41): labels from 2025-07-01, tier announcements from
# 2025-10-01, service charged from 2026-10-01.
PMP_ERA = date(2025, 7, 1)
ANNOUNCEMENTS_FROM = date(2025, 10, 1)
# The `wabas` registry: three time zones, one portfolio with two WABAs, an INR WABA whose
# number only sends in the per-message era.
WABAS = [
    ("105954558954427", "880000000000001", "Acme India", "Asia/Kolkata", "USD"),
    ("109283746501928", "880000000000001", "Acme US", "America/New_York", "USD"),
    ("107485930291844", "880000000000002", "Kaleyra Italy", "Europe/Rome", "USD"),
    ("105954558954499", "880000000000003", "Acme India Rupee", "Asia/Kolkata", "INR"),
]
INR_NUMBER = ("918049276099", "105954558954499", "Acme India Rupee Desk", "100000000000099")
INR_CARD_FROM = date(2026, 1, 1)  # the sample INR rate card's first day
TIME_ZONES = {waba: ZoneInfo(zone) for waba, _, _, zone, _ in WABAS}
# WABAs on API v23 get a conversation id per message; the others (v24) get none, except
# inside a free entry point window.
API_V23_WABAS = {"105954558954427"}
PMP_TEMPLATE_CATEGORIES = [
    ("marketing", 30),
    ("utility", 40),
    ("authentication", 15),
    ("marketing_lite", 5),
    ("authentication-international", 3),  # as Meta writes it in status webhooks
]
# Authentication-international is charged where the card prices it: India and Indonesia.
AUTHENTICATION_INTERNATIONAL_PREFIXES = ("91", "62")
FREE_ENTRY_POINT_WINDOW = 3 * DAY


def _iso(ts: float) -> str:
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Conversation:
    id: str
    origin: str
    expires: int
    opened: bool = False


@dataclass
class Label:
    """What a message's statuses carry: the `conversation` object (or none) and the
    `pricing` object, and on which of sent / delivered-or-read the pricing rides."""

    conversation: dict | None
    pricing: dict
    on_sent: bool = True
    on_later: bool = True


@dataclass
class Landing:
    """Lines per (source, dt) waiting to be written, as (received_at, json bytes)."""

    root: Path
    rng: random.Random
    pending: dict[tuple[str, str], list[tuple[float, bytes]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    malformed_rate: float = 0.001
    lines: int = 0

    def add(self, source: str, received: float, line: dict) -> None:
        data = orjson.dumps(line)
        if self.rng.random() < self.malformed_rate:
            data = self._break(source, line, data)
        dt = datetime.fromtimestamp(received, UTC).date().isoformat()
        self.pending[(source, dt)].append((received, data))
        self.lines += 1

    def _break(self, source: str, line: dict, data: bytes) -> bytes:
        kind = self.rng.randrange(4)
        if kind == 0:
            return data[: self.rng.randrange(5, max(6, len(data) - 5))]
        broken = orjson.loads(data)
        if kind == 1:
            broken.pop("received_at")
        elif kind == 2:
            broken["received_at"] = "2022-13-45T99:00:00Z"
        elif source == "api_logs":
            broken["to"] = ",".join(broken["to"])
        else:
            broken["body"]["entry"] = "not-a-list"
        return orjson.dumps(broken)

    def flush(self, before: str | None = None) -> None:
        """Write every folder whose dt is before `before` (all when None)."""
        for source, dt in sorted(self.pending):
            if before is not None and dt >= before:
                continue
            lines = sorted(self.pending.pop((source, dt)), key=lambda item: item[0])
            folder = self.root / source / f"dt={dt}"
            folder.mkdir(parents=True, exist_ok=True)
            half = len(lines) // 2
            (folder / "part-0000.jsonl").write_bytes(b"".join(d + b"\n" for _, d in lines[:half]))
            with gzip.open(folder / "part-0001.jsonl.gz", "wb", compresslevel=1) as out:
                out.write(b"".join(d + b"\n" for _, d in lines[half:]))


class Simulation:
    def __init__(self, landing: Landing, rng: random.Random, users: int) -> None:
        self.out = landing
        self.rng = rng
        self.users = [self._user_number() for _ in range(users)]
        self.conversations: dict[tuple[str, str], Conversation] = {}
        self.last_referral: dict[tuple[str, str], int] = {}
        self.business_weights = [b[3] for b in BUSINESS_NUMBERS]
        self.counter = 0
        # Choices that exist only in the per-message era draw from their own generator,
        # so that the conversation era's data stay what they were for a given seed. Seeded
        # from the state's text: `hash()` of the state is not the same in every process
        # (it holds None, whose hash is its address before Python 3.12).
        self.pmp_rng = random.Random(repr(rng.getstate()))

    def _user_number(self) -> str:
        prefix, digits, _ = self.rng.choices(USER_COUNTRIES, [c[2] for c in USER_COUNTRIES])[0]
        return prefix + "".join(self.rng.choices("0123456789", k=digits))

    def _id(self, prefix: str = "") -> str:
        self.counter += 1
        return f"{prefix}{self.rng.getrandbits(64):016x}{self.counter:08x}"

    def _uuid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    # -- webhooks ---------------------------------------------------------------------
    def _post(self, event_ts: int, waba: str, number: str, value: dict) -> None:
        delay = self.rng.uniform(0.2, 4.0)
        roll = self.rng.random()
        if roll < 0.03:
            delay += self.rng.randint(1, MAX_LATE_DAYS) * DAY  # late retry
        elif roll < 0.08:
            delay += self.rng.uniform(5, 600)  # overtaken by a later status
        value = {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": number,
                "phone_number_id": f"1{int(number) % 10**14:014d}",
            },
            **value,
        }
        line = {
            "received_at": _iso(event_ts + delay),
            "body": {
                "object": "whatsapp_business_account",
                "entry": [{"id": waba, "changes": [{"field": "messages", "value": value}]}],
            },
        }
        self.out.add("webhook_logs", event_ts + delay, line)
        if self.rng.random() < 0.02:  # Meta retries a POST it thinks was not acknowledged
            # Meta retries for up to 7 days after the event.
            again = event_ts + max(delay + 60, self.rng.uniform(60, 7 * DAY))
            self.out.add("webhook_logs", again, {**line, "received_at": _iso(again)})

    def _status(
        self,
        wamid: str,
        status: str,
        ts: int,
        user: str,
        conv: Conversation | Label | None,
        with_conv: bool,
        expiration: bool,
        errors: list | None = None,
    ) -> dict:
        item: dict = {"id": wamid, "status": status, "timestamp": str(ts), "recipient_id": user}
        if isinstance(conv, Label) and with_conv:
            if conv.conversation:
                item["conversation"] = conv.conversation
            if conv.on_sent if status == "sent" else conv.on_later:
                item["pricing"] = conv.pricing
        elif conv is not None and with_conv:
            conversation: dict = {"id": conv.id, "origin": {"type": conv.origin}}
            if expiration:
                conversation["expiration_timestamp"] = str(conv.expires)
            item["conversation"] = conversation
            item["pricing"] = {
                "billable": conv.origin != "referral_conversion",
                "pricing_model": "CBP",
                "category": conv.origin,
            }
        if errors:
            item["errors"] = errors
        return item

    def _pmp_label(self, waba: str, number: str, user: str, sent: int, kind: str) -> Label:
        """A per-message label as Meta sends it (docs/landing.md): the category by what is
        sent, free inside a free entry point window (72 h after an ad click) and for
        service and some utility messages inside the customer service window."""
        rng = self.pmp_rng
        categories, weights = zip(*PMP_TEMPLATE_CATEGORIES, strict=True)
        category = rng.choices(categories, weights)[0] if kind == "template" else "service"
        if category == "authentication-international" and not user.startswith(
            AUTHENTICATION_INTERNATIONAL_PREFIXES
        ):
            category = "authentication"
        referral = self.last_referral.get((number, user), -DAY)
        conversation = None
        if sent - referral < FREE_ENTRY_POINT_WINDOW:
            type_ = "free_entry_point"
            conversation = {
                "id": f"fep{referral:x}{int(user):x}",
                "origin": {"type": "referral_conversion"},
            }
        elif category == "service" or (category == "utility" and rng.random() < 0.3):
            type_ = "free_customer_service"
        else:
            type_ = "regular"
        if conversation is None and waba in API_V23_WABAS:
            origin = category.replace("-", "_")
            conversation = {"id": self._id("pm"), "origin": {"type": origin}}
        pricing = {"billable": type_ == "regular", "pricing_model": "PMP", "category": category}
        if rng.random() > 0.005:  # now and then a label without a type
            pricing["type"] = type_
        roll = rng.random()
        return Label(conversation, pricing, on_sent=roll >= 0.1, on_later=roll < 0.1 or roll >= 0.2)

    def _statuses(
        self, waba: str, number: str, user: str, wamid: str, created: int, kind: str, day: date
    ) -> None:
        rng = self.rng
        key = (number, user)
        conv: Conversation | Label | None = self.conversations.get(key)
        sent = created + rng.randint(1, 5)
        # A conversation opened before the switch stays priced per conversation until it
        # expires; after the switch every other message is priced per message.
        cbp_open = conv is not None and conv.expires > sent and conv.opened
        # The switch happened at midnight in each WABA's time zone.
        local_day = datetime.fromtimestamp(sent, TIME_ZONES.get(waba, UTC)).date()
        if local_day >= PMP_ERA and not cbp_open:
            conv = self._pmp_label(waba, number, user, sent, kind)
        elif conv is None or conv.expires <= sent or not conv.opened:
            referral = self.last_referral.get(key, -DAY)
            if sent - referral < DAY:
                origin = "referral_conversion"
            elif day < NEW_ERA:
                origin = "business_initiated" if kind == "template" else "user_initiated"
            elif kind == "template":
                origin = rng.choice(["marketing", "utility", "utility", "authentication"])
            else:
                origin = "service"
            conv = Conversation(self._id(), origin, sent + DAY)
            self.conversations[key] = conv
        events: list[dict] = []
        roll = rng.random()
        if roll < 0.04:  # fails at Meta, usually after a sent
            if rng.random() < 0.8:
                events.append(self._status(wamid, "sent", sent, user, conv, True, True))
            code, title = rng.choice(META_ERRORS)
            error = {
                "code": code,
                "title": title,
                "message": title,
                "error_data": {"details": f"{title} (code {code})."},
            }
            events.append(
                self._status(
                    wamid, "failed", sent + rng.randint(1, 30), user, None, False, False, [error]
                )
            )
        else:
            events.append(self._status(wamid, "sent", sent, user, conv, True, True))
            if roll < 0.94:
                delivered = sent + rng.randint(1, 120)
                if isinstance(conv, Conversation):
                    conv.opened = True
                read = rng.random() < 0.6
                skip_delivered = read and rng.random() < 0.08  # Meta implies it by read
                if not skip_delivered:
                    events.append(
                        self._status(wamid, "delivered", delivered, user, conv, True, False)
                    )
                if read:
                    read_at = delivered + min(int(rng.expovariate(1 / 3600)), 6 * DAY)
                    events.append(
                        self._status(wamid, "read", read_at, user, conv, skip_delivered, False)
                    )
                extra = rng.random()
                if extra < 0.003:  # a stray failure from a second device
                    events.append(
                        self._status(
                            wamid,
                            "failed",
                            delivered + 5,
                            user,
                            None,
                            False,
                            False,
                            [{"code": 131000, "title": "Something went wrong"}],
                        )
                    )
                elif extra < 0.006:
                    events.append(
                        self._status(
                            wamid,
                            rng.choice(["deleted", "warning"]),
                            delivered + 9,
                            user,
                            None,
                            False,
                            False,
                        )
                    )
        if len(events) > 1 and rng.random() < 0.1:  # one POST carrying two statuses
            first, second, *rest = events
            self._post(int(second["timestamp"]), waba, number, {"statuses": [first, second]})
            events = rest
        for event in events:
            self._post(int(event["timestamp"]), waba, number, {"statuses": [event]})

    # -- API requests -----------------------------------------------------------------
    def outgoing(self, ts: int, day: date, campaign: bool) -> None:
        rng = self.rng
        number, waba, _, _ = rng.choices(BUSINESS_NUMBERS, self.business_weights)[0]
        if day >= INR_CARD_FROM and self.pmp_rng.random() < 0.1:
            number, waba = INR_NUMBER[0], INR_NUMBER[1]
        recipients = (
            rng.sample(self.users, rng.randint(2, 3)) if campaign else [rng.choice(self.users)]
        )
        kind = "template" if campaign or rng.random() < 0.6 else rng.choice(SESSION_TYPES)
        request_id = self._uuid()
        template = rng.choice(TEMPLATES) if kind == "template" else None
        request_error = rng.choice(REQUEST_ERRORS) if rng.random() < 0.01 else None
        results = []
        for index, user in enumerate(recipients):
            error = None
            if request_error:
                error = request_error
            elif rng.random() < 0.015:
                error = rng.choice(RECIPIENT_ERRORS)
            wamid = None if error else "wamid." + self._id("HBgM")
            results.append(
                {
                    "message_id": f"{request_id}:{index}",
                    "to": user,
                    "wamid": wamid,
                    "error": {"code": error[0], "message": error[1]} if error else None,
                }
            )
            if wamid:
                self._statuses(waba, number, user, wamid, ts, kind, day)
        line = {
            "request_id": request_id,
            "received_at": _iso(ts + rng.random()),
            "waba_id": waba,
            "from": number,
            "to": recipients,
            "type": kind,
            "template_name": template,
            "body": f"Hello {{{{1}}}}, about {template}" if template else "Thanks, noted!",
            "campaign_id": self._uuid() if campaign else None,
            "ref": f"order-{rng.randint(1000, 9999)}" if rng.random() < 0.5 else None,
            "ref1": "crm" if rng.random() < 0.2 else None,
            "ref2": None,
            "response": {
                "http_status": 400 if request_error else 202,
                "error": {"code": request_error[0], "message": request_error[1]}
                if request_error
                else None,
                "recipients": results,
            },
        }
        self.out.add("api_logs", ts, line)
        if rng.random() < 0.002:  # the platform logged the same request twice
            later = ts + rng.uniform(1, 2 * DAY)
            self.out.add("api_logs", later, {**line, "received_at": _iso(later)})

    def incoming(self, ts: int) -> None:
        rng = self.rng
        number, waba, _, _ = rng.choices(BUSINESS_NUMBERS, self.business_weights)[0]
        user = rng.choice(self.users)
        kind = rng.choice(INCOMING_TYPES)
        message: dict = {
            "from": user,
            "id": "wamid." + self._id("HBgL"),
            "timestamp": str(ts),
            "type": kind,
        }
        if kind == "text":
            message["text"] = {
                "body": rng.choice(["Hi", "Where is my order?", "T-Shirt XL", "Thanks", "STOP"])
            }
        elif kind == "image":
            message["image"] = {"id": self._id(), "mime_type": "image/jpeg", "caption": "receipt"}
        elif kind == "button":
            message["button"] = {"text": "Track order", "payload": "TRACK"}
        elif kind == "reaction":
            message["reaction"] = {"message_id": "wamid.x", "emoji": "\U0001f44d"}
        else:
            message[kind] = {}
        if rng.random() < 0.08:
            message["referral"] = {
                "source_url": "https://fb.me/ad",
                "source_id": self._id(),
                "source_type": "ad",
                "headline": "Summer sale",
                "body": "Chat with us",
                "ctwa_clid": self._id(),
            }
            self.last_referral[(number, user)] = ts
        self._post(
            ts,
            waba,
            number,
            {"contacts": [{"profile": {"name": "User"}, "wa_id": user}], "messages": [message]},
        )

    def template_status_update(self, ts: int) -> None:
        """A POST with neither statuses nor messages: valid, loads no message rows."""
        number, waba, _, _ = BUSINESS_NUMBERS[0]
        line = {
            "received_at": _iso(ts),
            "body": {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": waba,
                        "changes": [
                            {
                                "field": "message_template_status_update",
                                "value": {"event": "APPROVED", "message_template_name": "otp_code"},
                            }
                        ],
                    }
                ],
            },
        }
        self.out.add("webhook_logs", ts, line)

    def tier_announcement(self, ts: int, day: date) -> None:
        """Meta announces that the portfolio of the first two WABAs reached India's second
        utility tier this month (R38), and retries the POST a day later."""
        info = {
            "tier_update_time": ts,
            "pricing_category": "UTILITY",
            "tier": "10001:100000",
            "effective_month": f"{day:%Y-%m}",
            "region": "INDIA",
        }
        change = {
            "field": "account_update",
            "value": {"event": "VOLUME_BASED_PRICING_TIER_UPDATE", "volume_tier_info": info},
        }
        for received in (ts + 2, ts + DAY):
            line = {
                "received_at": _iso(received),
                "body": {
                    "object": "whatsapp_business_account",
                    "entry": [{"id": WABAS[1][0], "time": ts, "changes": [change]}],
                },
            }
            self.out.add("webhook_logs", received, line)

    def day(self, day: date, messages: int) -> None:
        start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        times = sorted(self.rng.randrange(start, start + DAY) for _ in range(messages))
        self.template_status_update(start + 3600)
        if day >= ANNOUNCEMENTS_FROM and day.day == 15:
            self.tier_announcement(start + 12 * 3600, day)
        created = 0
        for ts in times:
            roll = self.rng.random()
            if roll < 0.25:
                self.incoming(ts)
                created += 1
            elif roll < 0.30:
                self.outgoing(ts, day, campaign=True)
                created += 2
            else:
                self.outgoing(ts, day, campaign=False)
                created += 1


def write_registry(root: Path, start: date, rng: random.Random) -> None:
    folder = root / "phone_numbers"
    folder.mkdir(parents=True, exist_ok=True)
    header = "waba_id,phone_number,phone_number_id,display_name,updated_at\n"
    first = datetime(start.year, start.month, start.day, tzinfo=UTC) - timedelta(days=30)
    rows = []
    for number, waba, name, _ in BUSINESS_NUMBERS:
        if name is not None:
            rows.append(
                f'{waba},{number},{rng.randrange(10**14, 10**15)},"{name}",'
                f"{first:%Y-%m-%dT%H:%M:%SZ}\n"
            )
    number, waba, name, number_id = INR_NUMBER
    rows.append(f'{waba},{number},{number_id},"{name}",{first:%Y-%m-%dT%H:%M:%SZ}\n')
    (folder / f"registry-{first:%Y%m%d}.csv").write_text(header + "".join(rows))
    renamed = first + timedelta(days=32)
    number, name = RENAMED
    waba = next(b[1] for b in BUSINESS_NUMBERS if b[0] == number)
    (folder / f"registry-{renamed:%Y%m%d}.csv").write_text(
        header + f'{waba},{number},{rng.randrange(10**14, 10**15)},"{name}",'
        f"{renamed:%Y-%m-%dT%H:%M:%SZ}\n"
    )
    wabas = root / "wabas"
    wabas.mkdir(parents=True, exist_ok=True)
    (wabas / f"wabas-{first:%Y%m%d}.csv").write_text(
        "waba_id,business_portfolio_id,name,timezone,currency,updated_at\n"
        + "".join(
            f'{waba},{portfolio},"{name}",{zone},{currency},{first:%Y-%m-%dT%H:%M:%SZ}\n'
            for waba, portfolio, name, zone, currency in WABAS
        )
    )


def generate(
    landing_dir: Path,
    start: date,
    days: int,
    messages_per_day: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write `days` days of landing data under `landing_dir`; return the lines written."""
    rng = random.Random(seed)
    landing = Landing(landing_dir, random.Random(seed + 1))
    sim = Simulation(landing, rng, users=max(50, messages_per_day // 4))
    write_registry(landing_dir, start, rng)
    for offset in range(days):
        day = start + timedelta(days=offset)
        sim.day(day, messages_per_day)
        landing.flush(before=day.isoformat())
        if progress:
            progress(1)
    landing.flush()
    return landing.lines
