"""Typed records of recipient lists and recipients, and parsers from the API's JSON shapes.

Parsers tolerate missing and extra fields: the vendor adds fields over time and the sandbox leaves
some out. Dates become timezone-aware datetimes (UTC when the wire value carries no offset).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

# Keys of a RestRecipient that are metadata; every other key of the object is a list attribute.
_RECIPIENT_META_KEYS = frozenset({"id", "created", "modified", "optInMailId", "links", "attributes"})


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 text (with `Z`, `+01:00` or `+0100`) to an aware datetime; None stays None."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit() and ":" not in text[-5:]:
        text = f"{text[:-2]}:{text[-2:]}"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class AuthenticatedUser:
    id: int | None
    username: str | None
    email: str | None

    @classmethod
    def from_json(cls, body: dict) -> AuthenticatedUser:
        return cls(body.get("id"), body.get("username"), body.get("email"))


@dataclass(frozen=True)
class CheckResult:
    """Outcome of the cheap connectivity and credentials check used by `doctor`."""

    ok: bool
    message: str


@dataclass(frozen=True)
class RecipientList:
    id: int
    name: str | None
    description: str | None
    recipient_count: int | None
    media_types: tuple[str, ...]
    test_list: bool | None
    created: datetime | None
    modified: datetime | None

    @classmethod
    def from_json(cls, body: dict) -> RecipientList:
        return cls(
            id=int(body["id"]),
            name=body.get("name"),
            description=body.get("description"),
            recipient_count=body.get("recipients"),
            media_types=tuple(body.get("mediaTypes") or ()),
            test_list=body.get("testList"),
            created=parse_datetime(body.get("created")),
            modified=parse_datetime(body.get("modified")),
        )


@dataclass(frozen=True)
class ListField:
    internal_name: str
    display_name: str | None
    type: str | None
    required: bool

    @classmethod
    def from_json(cls, body: dict) -> ListField:
        return cls(body["internalName"], body.get("displayName"), body.get("type"), bool(body.get("required")))


@dataclass(frozen=True)
class Recipient:
    """A recipient as read from a list; `attributes` holds the requested list fields."""

    id: str
    created: datetime | None
    modified: datetime | None
    attributes: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, body: dict) -> Recipient:
        # The OpenAPI schema names no attribute property; the service returns requested fields as
        # extra keys of the object. A nested "attributes" object is accepted as well.
        attributes = {k: v for k, v in body.items() if k not in _RECIPIENT_META_KEYS}
        attributes.update(body.get("attributes") or {})
        return cls(
            id=str(body["id"]),
            created=parse_datetime(body.get("created")),
            modified=parse_datetime(body.get("modified")),
            attributes=attributes,
        )


@dataclass(frozen=True)
class RecipientData:
    """A recipient to add or modify: its id (usually the e-mail address) and field values."""

    id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    address: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "data": dict(self.attributes)}
        if self.address is not None:
            body["address"] = self.address
        return body


class UpsertOutcome(enum.Enum):
    ADDED = "added"
    UPDATED = "updated"
    REJECTED = "rejected"
    """Not in the list and refused on add: unsubscribed, blocklisted, bounced or invalid."""


@dataclass(frozen=True)
class UpsertResult:
    recipient_id: str
    outcome: UpsertOutcome
    message: str = ""


@dataclass(frozen=True)
class BulkResult:
    """Summed result of bulk add/modify calls.

    `count` is what the service reported as done. `failed_ids` are ids it refused (already in the
    list, suppressed, invalid, or unknown for modify). `uncertain` is True when a batch was sent
    again after its first reply was lost: the service refuses ids already in the list, so nothing
    was duplicated, but ids the lost attempt added then appear in `failed_ids`.
    """

    count: int = 0
    failed_ids: tuple[str, ...] = ()
    uncertain: bool = False

    def merge(self, other: BulkResult) -> BulkResult:
        return BulkResult(
            self.count + other.count, self.failed_ids + other.failed_ids, self.uncertain or other.uncertain
        )
