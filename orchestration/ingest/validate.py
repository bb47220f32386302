"""Line validation for the two raw logs (R26).

Each validator takes one parsed JSON value and returns the line's `received_at`, or
raises `Invalid` with the reason. A reason names the field and what is wrong with it, so
a person reading the quarantine knows what to fix upstream. Only the parts that later
models need are required; everything else is kept verbatim in the raw line.

Every line of every landing file passes through here (2.9M lines for 1M messages), so
the checks are written inline: a valid line costs a few dict lookups and type tests per
field and no function call per field; the helpers below only build the reason of a line
that is refused. `type(x) is str` is exact for what orjson returns (it never returns a
subclass), and `type(x) is int` leaves out booleans, which are not unix seconds.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Any

_OPTIONAL_STRINGS = ("template_name", "body", "campaign_id", "ref", "ref1", "ref2")

# R26, plausible times: nothing happened before 2010-01-01, and a webhook event is at
# most an hour later than the line that reports it (clock skew); a conversation's window
# ends at most 30 days after (Meta's windows last 24 to 72 hours).
EARLIEST = datetime(2010, 1, 1)
EARLIEST_UNIX = int(EARLIEST.replace(tzinfo=UTC).timestamp())
EVENT_AFTER_RECEIPT = 3600
EXPIRATION_AFTER_RECEIPT = 30 * 86400
# The longest unix-seconds string read as a number (12 digits reach year 33658): a
# longer one is refused before it is converted.
_MAX_UNIX_DIGITS = 12


class Invalid(Exception):
    """Raised inside a validator; its message is the quarantine reason."""


def known_time_zone(name: str) -> bool:
    """Is `name` an IANA time zone name (R36: a WABA's time zone)?"""
    return name in _time_zones()


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() - {"localtime", "Factory"})


def parse_iso_utc(value: Any, field: str) -> datetime:
    """ISO-8601 with `Z` or an offset -> naive UTC, truncated to milliseconds (R5)."""
    if type(value) is not str:
        raise Invalid(f"{field} is not a string")
    if len(value) > 11 and value[-1] == "Z":
        # The usual form, already UTC: no time-zone arithmetic (a third of the parse).
        # Longer than 11 characters: a date alone (at most 10, then Z) takes no offset.
        try:
            parsed = datetime.fromisoformat(value[:-1])
        except ValueError:
            parsed = None  # the general path below gives the reason
        if parsed is not None and parsed.tzinfo is None:
            return _to_millisecond(parsed)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{field} is not an ISO-8601 timestamp: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        raise Invalid(f"{field} has no UTC offset: {value[:40]!r}")
    return _to_millisecond(parsed.astimezone(UTC).replace(tzinfo=None))


def _to_millisecond(parsed: datetime) -> datetime:
    """Truncated to the millisecond (`replace` costs more than the parse: skipped when
    there is nothing to cut, as with the usual millisecond timestamps)."""
    extra = parsed.microsecond % 1000
    return parsed.replace(microsecond=parsed.microsecond - extra) if extra else parsed


# -- reasons: built only for a refused line ----------------------------------------------


def _fault(value: Any, field: str, what: str) -> Invalid:
    """A required field: missing (absent or null), or present and `what`."""
    if value is None:
        return Invalid(f"missing required field {field}")
    return Invalid(f"{field} {what}")


NOT_OBJECT = "is not an object"
NOT_ARRAY = "is not an array"
NOT_DIGITS = "is not a string of digits"
NOT_NON_EMPTY = "is not a non-empty string"


def _received_at(line: dict) -> datetime:
    """The `received_at` both logs' lines carry, required (once per line, not per field),
    and not before 2010-01-01 (its latest plausible value depends on the partition:
    ingest/load.py)."""
    value = line.get("received_at")
    if value is None:
        raise Invalid("missing required field received_at")
    received_at = parse_iso_utc(value, "received_at")
    if received_at < EARLIEST:
        raise Invalid(f"received_at {value[:40]!r} is before 2010-01-01")
    return received_at


def latest_received_at(dt: str) -> datetime:
    """R26: a line's `received_at` may be at most one day after its partition's `dt`
    (before the end of the next day)."""
    return datetime.fromisoformat(dt) + timedelta(days=2)


def _not_unix(value: Any, field: str) -> Invalid:
    return _fault(value, field, f"is not unix seconds: {str(value)[:40]!r}")


def _unix_seconds(value: Any, field: str, latest: int, after: str) -> int:
    """Unix seconds (an integer, not a boolean, or a string of ASCII digits) from
    2010-01-01 to `latest` (R26); `after` says what `latest` is, for the reason."""
    if type(value) is int:
        seconds = value
    elif (
        type(value) is str
        and value.isascii()
        and value.isdigit()
        and len(value) <= _MAX_UNIX_DIGITS
    ):
        seconds = int(value)
    else:
        raise _not_unix(value, field)
    if seconds < EARLIEST_UNIX or seconds > latest:
        raise Invalid(f"{field} {str(value)[:40]!r} is before 2010-01-01 or after {after}")
    return seconds


_UNIX_EPOCH_ORDINAL = datetime(1970, 1, 1).toordinal()


def _unix_limits(received_at: datetime) -> tuple[int, int]:
    """The latest plausible event time and conversation expiration for a line (by the
    calendar, a third of the cost of `timestamp()`: it runs once per webhook line)."""
    received = (
        (received_at.toordinal() - _UNIX_EPOCH_ORDINAL) * 86400
        + received_at.hour * 3600
        + received_at.minute * 60
        + received_at.second
    )
    return received + EVENT_AFTER_RECEIPT, received + EXPIRATION_AFTER_RECEIPT


# -- api_logs ----------------------------------------------------------------------------


def validate_api_line(line: Any) -> datetime:
    """Return the line's `received_at`; raise Invalid with the reason otherwise."""
    if type(line) is not dict:
        raise Invalid(f"line {NOT_OBJECT}")
    value = line.get("request_id")
    if type(value) is not str or not value:
        raise _fault(value, "request_id", NOT_NON_EMPTY)
    received_at = _received_at(line)
    for field in ("waba_id", "from"):
        value = line.get(field)
        if type(value) is not str or not value.isdigit():
            raise _fault(value, field, NOT_DIGITS)
    to = line.get("to")
    if type(to) is not list:
        raise _fault(to, "to", NOT_ARRAY)
    if not to:
        raise Invalid("to is an empty array")
    for number in to:
        if type(number) is not str or not number.isdigit():
            raise Invalid(f"to[] {NOT_DIGITS}")
    kind = line.get("type")
    if type(kind) is not str or not kind:
        raise _fault(kind, "type", NOT_NON_EMPTY)
    for field in _OPTIONAL_STRINGS:
        value = line.get(field)
        if value is not None and type(value) is not str:
            raise Invalid(f"{field} is not a string or null")
    if kind == "template" and not line.get("template_name"):
        raise Invalid("missing template_name on a template message")
    response = line.get("response")
    if type(response) is not dict:
        raise _fault(response, "response", NOT_OBJECT)
    status = response.get("http_status")
    if type(status) is not int:  # booleans are not HTTP statuses
        raise _fault(status, "response.http_status", "is not an integer")
    recipients = response.get("recipients")
    if type(recipients) is not list:
        raise _fault(recipients, "response.recipients", NOT_ARRAY)
    if len(recipients) != len(to):
        raise Invalid(
            f"response.recipients has {len(recipients)} elements for {len(to)} numbers in to"
        )
    request_id = line["request_id"]
    for index, recipient in enumerate(recipients):
        _check_recipient(recipient, f"{request_id}:{index}")
    return received_at


def _check_recipient(recipient: Any, message_id: str) -> None:
    if type(recipient) is not dict:
        raise Invalid(f"response.recipients[] {NOT_OBJECT}")
    value = recipient.get("message_id")
    if type(value) is not str or not value:
        raise _fault(value, "recipients[].message_id", NOT_NON_EMPTY)
    if value != message_id:
        # R1/R26: the id is <request_id>:<index> of its own line, never another's.
        raise Invalid(f"recipients[].message_id {value[:80]!r} is not {message_id[:80]!r}")
    value = recipient.get("to")
    if type(value) is not str or not value.isdigit():
        raise _fault(value, "recipients[].to", NOT_DIGITS)
    value = recipient.get("wamid")
    if value is not None and (type(value) is not str or not value):
        raise Invalid(f"recipients[].wamid {NOT_NON_EMPTY}")
    value = recipient.get("error")
    if value is not None and type(value) is not dict:
        raise Invalid(f"recipients[].error {NOT_OBJECT}")


# -- webhook_logs ------------------------------------------------------------------------


def _check_status(status: Any, latest_event: int, latest_expiration: int) -> None:
    if type(status) is not dict:
        raise Invalid(f"statuses[] {NOT_OBJECT}")
    for field in ("id", "status"):
        value = status.get(field)
        if type(value) is not str or not value:
            raise _fault(value, f"statuses[].{field}", NOT_NON_EMPTY)
    # The usual case inline (once per status): a string of at most 12 ASCII digits within
    # the bounds; anything else goes the long way, which names the fault.
    value = status.get("timestamp")
    if not (
        type(value) is str
        and len(value) <= _MAX_UNIX_DIGITS
        and value.isdigit()
        and value.isascii()
        and EARLIEST_UNIX <= int(value) <= latest_event
    ):
        _unix_seconds(value, "statuses[].timestamp", latest_event, "received_at + 1 hour")
    # Not required (R26 reading): empty for a business-scoped user (`recipient_user_id`),
    # a group id for a group message; the status joins its message by wamid either way.
    value = status.get("recipient_id")
    if value is not None and type(value) is not str:
        raise Invalid("statuses[].recipient_id is not a string or null")
    value = status.get("recipient_user_id")
    if value is not None and type(value) is not str:
        raise Invalid("statuses[].recipient_user_id is not a string or null")
    conversation = status.get("conversation")
    if conversation is not None:
        if type(conversation) is not dict:
            raise Invalid(f"statuses[].conversation {NOT_OBJECT}")
        value = conversation.get("id")
        if type(value) is not str or not value:
            raise _fault(value, "conversation.id", NOT_NON_EMPTY)
        value = conversation.get("expiration_timestamp")
        if value is not None and not (
            type(value) is str
            and len(value) <= _MAX_UNIX_DIGITS
            and value.isdigit()
            and value.isascii()
            and EARLIEST_UNIX <= int(value) <= latest_expiration
        ):
            _unix_seconds(
                value,
                "conversation.expiration_timestamp",
                latest_expiration,
                "received_at + 30 days",
            )
    value = status.get("errors")
    if value is not None and type(value) is not list:
        raise Invalid(f"statuses[].errors {NOT_ARRAY}")


def _check_message(message: Any, latest_event: int) -> None:
    if type(message) is not dict:
        raise Invalid(f"messages[] {NOT_OBJECT}")
    value = message.get("id")
    if type(value) is not str or not value:
        raise _fault(value, "messages[].id", NOT_NON_EMPTY)
    value = message.get("from")
    if value == "" or (value is None and "from_user_id" in message):
        # A business-scoped user who hides their number (R26 reading): known by id.
        user_id = message.get("from_user_id")
        if type(user_id) is not str or not user_id:
            raise _fault(user_id, "messages[].from_user_id (from is empty)", NOT_NON_EMPTY)
    elif type(value) is not str or not value.isdigit():
        raise _fault(value, "messages[].from", NOT_DIGITS)
    value = message.get("type")
    if type(value) is not str or not value:
        raise _fault(value, "messages[].type", NOT_NON_EMPTY)
    _unix_seconds(
        message.get("timestamp"), "messages[].timestamp", latest_event, "received_at + 1 hour"
    )


def validate_webhook_line(line: Any) -> datetime:
    """Return the line's `received_at`; raise Invalid with the reason otherwise.

    The line is quarantined whole when any required part is invalid (R26 precise
    reading). Only a change whose `field` is `messages` carries statuses and messages;
    any other field (`history`, `smb_message_echoes`, template and account events) is
    valid whatever its value holds, and loads no message rows. A change that carries
    neither statuses nor messages is valid.
    """
    if type(line) is not dict:
        raise Invalid(f"line {NOT_OBJECT}")
    received_at = _received_at(line)
    body = line.get("body")
    if type(body) is not dict:
        raise _fault(body, "body", NOT_OBJECT)
    entries = body.get("entry")
    if type(entries) is not list:
        raise _fault(entries, "body.entry", NOT_ARRAY)
    limits = _unix_limits(received_at)
    for entry in entries:
        if type(entry) is not dict:
            raise Invalid(f"entry[] {NOT_OBJECT}")
        value = entry.get("id")
        if type(value) is not str or not value.isdigit():
            raise _fault(value, "entry[].id", NOT_DIGITS)
        changes = entry.get("changes") or []
        if type(changes) is not list:
            raise Invalid(f"entry[].changes {NOT_ARRAY}")
        for change in changes:
            if type(change) is not dict:
                raise Invalid(f"changes[] {NOT_OBJECT}")
            # A change without a field (hand-written logs) is read as `messages`.
            field = change.get("field", "messages")
            if field in ("messages", None):
                _check_change_value(change.get("value"), *limits)
            elif field == "account_update":
                _check_account_update(change.get("value"), limits[0])
    return received_at


TIER_ANNOUNCEMENT = "VOLUME_BASED_PRICING_TIER_UPDATE"
_TIER = re.compile(r"[0-9]{1,12}:([0-9]{1,12}|MAX)")
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def _check_account_update(value: Any, latest_event: int) -> None:
    """A volume-tier announcement (R38) needs its five fields; other account events are
    valid and load nothing."""
    if type(value) is not dict or value.get("event") != TIER_ANNOUNCEMENT:
        return
    info = value.get("volume_tier_info")
    if type(info) is not dict:
        raise _fault(info, "value.volume_tier_info", NOT_OBJECT)
    _unix_seconds(
        info.get("tier_update_time"),
        "volume_tier_info.tier_update_time",
        latest_event,
        "received_at + 1 hour",
    )
    for name in ("pricing_category", "region"):
        if type(info.get(name)) is not str or not info[name].strip():
            raise _fault(info.get(name), f"volume_tier_info.{name}", NOT_NON_EMPTY)
    tier = info.get("tier")
    if type(tier) is not str or not _TIER.fullmatch(tier):
        raise Invalid(f"volume_tier_info.tier {str(tier)[:40]!r} is not <from>:<to> or <from>:MAX")
    month = info.get("effective_month")
    if type(month) is not str or not _MONTH.fullmatch(month):
        raise Invalid(f"volume_tier_info.effective_month {str(month)[:40]!r} is not YYYY-MM")


def _check_change_value(value: Any, latest_event: int, latest_expiration: int) -> None:
    if value is None:
        return
    if type(value) is not dict:
        raise Invalid(f"changes[].value {NOT_OBJECT}")
    statuses = value.get("statuses") or []
    if type(statuses) is not list:
        raise Invalid(f"value.statuses {NOT_ARRAY}")
    messages = value.get("messages") or []
    if type(messages) is not list:
        raise Invalid(f"value.messages {NOT_ARRAY}")
    if not statuses and not messages:
        return
    metadata = value.get("metadata")
    if type(metadata) is not dict:
        raise _fault(metadata, "value.metadata", NOT_OBJECT)
    number = metadata.get("display_phone_number")
    if type(number) is not str or not number.isdigit():
        raise _fault(number, "metadata.display_phone_number", NOT_DIGITS)
    for status in statuses:
        _check_status(status, latest_event, latest_expiration)
    for message in messages:
        _check_message(message, latest_event)
