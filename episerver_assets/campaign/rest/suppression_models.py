"""Typed records of unsubscribes, blocklist entries and mailing responses (bounces)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .models import parse_datetime


@dataclass(frozen=True)
class Unsubscribe:
    recipient_id: str
    recipient_list_id: int | None
    mailing_id: int | None
    reason: str | None
    media_type: str | None
    created: datetime | None

    @classmethod
    def from_json(cls, body: dict) -> Unsubscribe:
        return cls(
            recipient_id=str(body["recipientId"]),
            recipient_list_id=body.get("recipientListId"),
            mailing_id=body.get("mailingId"),
            reason=body.get("reason"),
            media_type=body.get("mediaType"),
            created=parse_datetime(body.get("created")),
        )


@dataclass(frozen=True)
class UnsubscribeResult:
    successful_ids: tuple[str, ...]
    unsuccessful_ids: tuple[str, ...]


@dataclass(frozen=True)
class BlocklistEntry:
    pattern: str
    reason: str | None
    created: datetime | None
    modified: datetime | None

    @classmethod
    def from_json(cls, body: dict) -> BlocklistEntry:
        return cls(
            pattern=str(body["pattern"]),
            reason=body.get("reason"),
            created=parse_datetime(body.get("created")),
            modified=parse_datetime(body.get("modified")),
        )


@dataclass(frozen=True)
class Response:
    """A mailing response (bounce or autoresponder) from `GET /responses`."""

    recipient_id: str
    category: str | None
    mailing_id: int | None
    recipient_list_id: int | None
    mail_id: str | None
    subject: str | None
    rule_name: str | None
    media_type: str | None
    created: datetime | None

    @classmethod
    def from_json(cls, body: dict) -> Response:
        return cls(
            recipient_id=str(body["recipientId"]),
            category=body.get("category"),
            mailing_id=body.get("mailingId"),
            recipient_list_id=body.get("recipientListId"),
            mail_id=body.get("mailId"),
            subject=body.get("subject"),
            rule_name=body.get("ruleName"),
            media_type=body.get("mediaType"),
            created=parse_datetime(body.get("created")),
        )


Bounce = Response
"""Bounces are responses of category hardbounce or softbounce."""
