"""Recipient attribute values on the wire.

Values travel as `data.<name>` form fields or a JSON `data` object and are stored as text. Recipients
come back as `{id, created, modified}` plus the requested attributes as extra keys (the vendor schema
names no attribute property; the Lytics mapping reads `email` next to `id`), typed by the list field.
"""

from __future__ import annotations

from typing import Any

from ..state import Recipient, RecipientList
from .wire import timestamp

_NUMBERS = {"LONG": int, "INTEGER": int, "SHORT": int, "FLOAT": float, "DECIMAL": float}


def render_recipient(recipient: Recipient, lst: RecipientList, names: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": recipient.recipient_id,
        "created": timestamp(recipient.created),
        "modified": timestamp(recipient.modified),
    }
    types = {f.internal_name: f.type for f in lst.fields}
    for name in names:
        body[name] = typed(types.get(name, "STRING"), recipient.attributes.get(name))
    return body


def typed(field_type: str, raw: str | None) -> Any:
    """Stored text as the JSON type of the list field; text that does not parse stays text."""
    if raw is None or raw == "":
        return None
    if field_type == "BOOLEAN":
        return raw.lower() in ("true", "1", "yes")
    try:
        return _NUMBERS[field_type](raw) if field_type in _NUMBERS else raw
    except ValueError:
        return raw


def json_attributes(item: dict[str, Any]) -> dict[str, str | None]:
    """The `data` object of a JSON recipient, as stored text."""
    data = item.get("data")
    return {name: _text(value) for name, value in data.items()} if isinstance(data, dict) else {}


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(value).lower() if isinstance(value, bool) else str(value)
