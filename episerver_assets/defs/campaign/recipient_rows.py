"""Recipients read from Campaign as Arrow rows of `campaign.episerver_recipients`.

The seed's fields: `email` from the recipient's `email` attribute, else its id when the id is an
address (Campaign lists often use the address as recipient id); `ep_created_date` and
`ep_modified_date` from `created` and `modified`; `last_active_ts` the later of the two. Chosen
attributes arrive typed by their list field (numbers, booleans, text) and are stored as text.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from ...campaign.rest import Recipient

EMAIL_FIELD = "email"
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TIME = pa.timestamp("us", tz="UTC")
FIXED_TYPES = {
    "recipient_list_id": pa.int64(),
    "ep_recipient_id": pa.string(),
    "email": pa.string(),
    "ep_created_date": _TIME,
    "ep_modified_date": _TIME,
    "last_active_ts": _TIME,
    "imported_at": _TIME,
    "deleted_at": _TIME,
}


def email_of(recipient: Recipient) -> str | None:
    value = recipient.attributes.get(EMAIL_FIELD)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return recipient.id if _ADDRESS.match(recipient.id) else None


def last_active(recipient: Recipient) -> dt.datetime | None:
    stamps = [t for t in (recipient.created, recipient.modified) if t is not None]
    return max(stamps) if stamps else None


def as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def arrow_schema(attribute_columns: Iterable[str]) -> pa.Schema:
    return pa.schema([*FIXED_TYPES.items(), *((column, pa.string()) for column in attribute_columns)])


def recipient_batch(
    list_id: int, recipients: list[Recipient], columns: dict[str, str], table_attribute_columns: list[str],
    imported_at: dt.datetime,
) -> pa.RecordBatch:
    """One batch with every column of the table; attribute columns not chosen (`columns` maps chosen
    field -> column) stay empty, so a pass clears a field that is no longer imported."""
    count = len(recipients)
    values: dict[str, list] = {
        "recipient_list_id": [list_id] * count,
        "ep_recipient_id": [r.id for r in recipients],
        "email": [email_of(r) for r in recipients],
        "ep_created_date": [r.created for r in recipients],
        "ep_modified_date": [r.modified for r in recipients],
        "last_active_ts": [last_active(r) for r in recipients],
        "imported_at": [imported_at] * count,
        "deleted_at": [None] * count,
    }
    by_column = {column: field for field, column in columns.items()}
    for column in table_attribute_columns:
        field = by_column.get(column)
        values[column] = [as_text(r.attributes.get(field)) for r in recipients] if field else [None] * count
    schema = arrow_schema(table_attribute_columns)
    return pa.RecordBatch.from_arrays([pa.array(values[f.name], f.type) for f in schema], schema=schema)
