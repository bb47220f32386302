"""Line validation for the two raw logs (R26).

Each validator takes one parsed JSON value and returns the reason it is invalid, or
None. A reason names the field and what is wrong with it, so a person reading the
quarantine knows what to fix upstream. Only the parts that later models need are
required; everything else is kept verbatim in the raw line.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

MESSAGE_TYPES_OUT = frozenset(
    {
        "template",
        "text",
        "image",
        "video",
        "audio",
        "document",
        "sticker",
        "location",
        "contacts",
        "interactive",
    }
)
_OPTIONAL_STRINGS = ("template_name", "body", "campaign_id", "ref", "ref1", "ref2")


class Invalid(Exception):
    """Raised inside a validator; its message is the quarantine reason."""


def parse_iso_utc(value: Any, field: str) -> datetime:
    """ISO-8601 with `Z` or an offset -> naive UTC, truncated to milliseconds (R5)."""
    if not isinstance(value, str):
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


def _require(obj: dict, field: str, where: str = "") -> Any:
    if field not in obj or obj[field] is None:
        raise Invalid(f"missing required field {where}{field}")
    return obj[field]


def _digits(value: Any, field: str) -> None:
    if not isinstance(value, str) or not value.isdigit():
        raise Invalid(f"{field} is not a string of digits")


def _string(value: Any, field: str) -> None:
    if not isinstance(value, str) or not value:
        raise Invalid(f"{field} is not a non-empty string")


def _object(value: Any, field: str) -> dict:
    if not isinstance(value, dict):
        raise Invalid(f"{field} is not an object")
    return value


def _array(value: Any, field: str) -> list:
    if not isinstance(value, list):
        raise Invalid(f"{field} is not an array")
    return value


def _unix_seconds(value: Any, field: str) -> None:
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and value.isdigit())
    ):
        raise Invalid(f"{field} is not unix seconds: {str(value)[:40]!r}")


def validate_api_line(line: Any) -> datetime:
    """Return the line's `received_at`; raise Invalid with the reason otherwise."""
    line = _object(line, "line")
    _string(_require(line, "request_id"), "request_id")
    received_at = parse_iso_utc(_require(line, "received_at"), "received_at")
    _digits(_require(line, "waba_id"), "waba_id")
    _digits(_require(line, "from"), "from")
    to = _array(_require(line, "to"), "to")
    if not to:
        raise Invalid("to is an empty array")
    for number in to:
        _digits(number, "to[]")
    _string(_require(line, "type"), "type")
    for field in _OPTIONAL_STRINGS:
        if line.get(field) is not None and not isinstance(line[field], str):
            raise Invalid(f"{field} is not a string or null")
    if line["type"] == "template" and not line.get("template_name"):
        raise Invalid("missing template_name on a template message")
    response = _object(_require(line, "response"), "response")
    status = _require(response, "http_status", "response.")
    if isinstance(status, bool) or not isinstance(status, int):
        raise Invalid("response.http_status is not an integer")
    recipients = _array(_require(response, "recipients", "response."), "response.recipients")
    if len(recipients) != len(to):
        raise Invalid(
            f"response.recipients has {len(recipients)} elements for {len(to)} numbers in to"
        )
    for recipient in recipients:
        recipient = _object(recipient, "response.recipients[]")
        _string(_require(recipient, "message_id", "recipients[]."), "recipients[].message_id")
        _digits(_require(recipient, "to", "recipients[]."), "recipients[].to")
        if recipient.get("wamid") is not None:
            _string(recipient["wamid"], "recipients[].wamid")
        if recipient.get("error") is not None:
            _object(recipient["error"], "recipients[].error")
    return received_at


def _validate_status(status: Any) -> None:
    status = _object(status, "statuses[]")
    _string(_require(status, "id", "statuses[]."), "statuses[].id")
    _string(_require(status, "status", "statuses[]."), "statuses[].status")
    _unix_seconds(_require(status, "timestamp", "statuses[]."), "statuses[].timestamp")
    if status.get("recipient_id") is not None:
        _digits(status["recipient_id"], "statuses[].recipient_id")
    conversation = status.get("conversation")
    if conversation is not None:
        conversation = _object(conversation, "statuses[].conversation")
        _string(_require(conversation, "id", "conversation."), "conversation.id")
        if conversation.get("expiration_timestamp") is not None:
            _unix_seconds(conversation["expiration_timestamp"], "conversation.expiration_timestamp")
    if status.get("errors") is not None:
        _array(status["errors"], "statuses[].errors")


def _validate_message(message: Any) -> None:
    message = _object(message, "messages[]")
    _string(_require(message, "id", "messages[]."), "messages[].id")
    _digits(_require(message, "from", "messages[]."), "messages[].from")
    _string(_require(message, "type", "messages[]."), "messages[].type")
    _unix_seconds(_require(message, "timestamp", "messages[]."), "messages[].timestamp")


def validate_webhook_line(line: Any) -> datetime:
    """Return the line's `received_at`; raise Invalid with the reason otherwise.

    The line is quarantined whole when any required part is invalid (R26 precise
    reading). A change that carries neither statuses nor messages is valid.
    """
    line = _object(line, "line")
    received_at = parse_iso_utc(_require(line, "received_at"), "received_at")
    body = _object(_require(line, "body"), "body")
    for entry in _array(_require(body, "entry", "body."), "body.entry"):
        entry = _object(entry, "entry[]")
        _digits(_require(entry, "id", "entry[]."), "entry[].id")
        for change in _array(entry.get("changes") or [], "entry[].changes"):
            value = _object(change, "changes[]").get("value")
            if value is None:
                continue
            value = _object(value, "changes[].value")
            statuses = _array(value.get("statuses") or [], "value.statuses")
            messages = _array(value.get("messages") or [], "value.messages")
            if not statuses and not messages:
                continue
            metadata = _object(_require(value, "metadata", "value."), "value.metadata")
            _digits(
                _require(metadata, "display_phone_number", "metadata."),
                "metadata.display_phone_number",
            )
            for status in statuses:
                _validate_status(status)
            for message in messages:
                _validate_message(message)
    return received_at
