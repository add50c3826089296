"""Building blocks of the response-file models: column dtypes, the documented enums, and the one rule
that names a warehouse column after its wire name.

The rule: a warehouse column is the snake_case of the wire name, dots become underscores
(`click.browser` -> `click_browser`, `mailing.recipientLists` -> `mailing_recipient_lists`,
`mailingToUserId` -> `mailing_to_user_id`, `id` stays `id`). The seed's parenthesised names
(`id (mailingId)`) are explanations, not header text: the header says `id`, and the description keeps
the explanation. Each model field carries its wire name as its pandera `title`, so the model is the
single place that maps wire names to columns.

Dtypes are Arrow-backed pandas dtypes: the reader produces Arrow batches of exactly these types,
pandera validates them without copying, and the warehouse loads them as they are.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import pandas as pd
import pandera.pandas as pa
import pyarrow

Id = Annotated[pd.ArrowDtype, pyarrow.int64()]
"""Campaign ids: strings on the wire that fit a 64-bit long."""
Text = Annotated[pd.ArrowDtype, pyarrow.string()]
Timestamp = Annotated[pd.ArrowDtype, pyarrow.timestamp("us")]
"""`YYYY-MM-DD HH:MM:SS` on the wire, kept naive as sent (microseconds, the warehouses' own unit)."""

SENDING_STATUSES = ("sending", "sent", "could_not_be_sent")
DELIVERY_STATUSES = ("OK", "HARD", "SOFT")
RESPONSE_CATEGORIES = ("unknown", "bounce", "temporary_bounce", "fatal_bounce", "autoresponder")

RESPONSE_CATEGORY_MEANINGS = (
    "unknown = the recipient sent a response to the mailing, bounce = soft bounce, "
    "temporary_bounce = soft bounce, fatal_bounce = hard bounce, autoresponder = autoresponder"
)

_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def warehouse_column(wire_name: str) -> str:
    """The warehouse column for a wire column name: its snake_case, dots as underscores."""
    return _CAMEL_HUMP.sub("_", wire_name).replace(".", "_").lower()


def wire_field(
    wire_name: str,
    description: str,
    *,
    example: str | None = None,
    nullable: bool = False,
    primary_key: bool = False,
    isin: tuple[str, ...] | None = None,
) -> Any:
    """A pandera Field for one wire column: title = wire name, description = the seed's words.

    `primary_key` declares uniqueness (it feeds Dagster's column constraints and the duplicate-key
    check); `isin` restricts values to a documented enum, empty values aside when `nullable`.
    """
    text = description if example is None else f"{description} Example: {example}."
    return pa.Field(
        title=wire_name,
        description=text,
        nullable=nullable,
        unique=primary_key,
        isin=list(isin) if isin is not None else None,
    )
