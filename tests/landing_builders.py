"""Small builders for hand-written landing files used across the test suites."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any


def api_line(
    request_id: str = "req-1",
    received_at: str = "2022-11-25T08:34:10.123Z",
    to: list[str] | None = None,
    wamids: list[str | None] | None = None,
    type_: str = "template",
    template_name: str | None = "order_update",
    **extra: Any,
) -> dict:
    to = to if to is not None else ["919876543210"]
    wamids = wamids if wamids is not None else [f"wamid.{request_id}.{i}" for i in range(len(to))]
    recipients = [
        {
            "message_id": f"{request_id}:{i}",
            "to": number,
            "wamid": wamid,
            "error": None if wamid else {"code": "E413", "message": "Invalid recipient number"},
        }
        for i, (number, wamid) in enumerate(zip(to, wamids, strict=True))
    ]
    line = {
        "request_id": request_id,
        "received_at": received_at,
        "waba_id": "105954558954427",
        "from": "918049276070",
        "to": to,
        "type": type_,
        "template_name": template_name,
        "body": "Your order has shipped",
        "campaign_id": None,
        "ref": None,
        "ref1": None,
        "ref2": None,
        "response": {"http_status": 202, "error": None, "recipients": recipients},
    }
    line.update(extra)
    return line


def status(
    wamid: str, status_: str, timestamp: int, recipient: str = "919876543210", **extra: Any
) -> dict:
    return {
        "id": wamid,
        "status": status_,
        "timestamp": str(timestamp),
        "recipient_id": recipient,
        **extra,
    }


def webhook_line(
    received_at: str = "2022-11-25T08:34:12.456Z",
    statuses: list | None = None,
    messages: list | None = None,
    waba_id: str = "105954558954427",
    business_number: str = "918049276070",
) -> dict:
    value: dict = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": business_number, "phone_number_id": "106540352242922"},
    }
    if statuses is not None:
        value["statuses"] = statuses
    if messages is not None:
        value["messages"] = messages
    return {
        "received_at": received_at,
        "body": {
            "object": "whatsapp_business_account",
            "entry": [{"id": waba_id, "changes": [{"field": "messages", "value": value}]}],
        },
    }


def write_lines(path: Path, lines: list[dict | str]) -> Path:
    """Write JSON lines (a str is written verbatim, for malformed lines)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def without(line: dict, dotted: str) -> dict:
    """A deep copy of `line` without the field at a dotted path (list index as digits)."""
    broken = copy.deepcopy(line)
    *parents, leaf = dotted.split(".")
    node: Any = broken
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    del node[leaf]
    return broken


def replaced(line: dict, dotted: str, value: Any) -> dict:
    broken = copy.deepcopy(line)
    *parents, leaf = dotted.split(".")
    node: Any = broken
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(leaf) if leaf.isdigit() else leaf] = value
    return broken
