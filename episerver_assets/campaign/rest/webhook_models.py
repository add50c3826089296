"""Typed records of webhook registrations; webhook secrets never reach a repr or a record."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from .models import parse_datetime


@dataclass(frozen=True)
class WebhookAuthentication:
    """How Campaign authenticates at a webhook target; secrets are kept out of repr."""

    type: str = "none"
    user_name: str | None = None
    password: str | None = field(default=None, repr=False)
    key: str | None = None
    passphrase: str | None = field(default=None, repr=False)

    @classmethod
    def basic(cls, user_name: str, password: str) -> WebhookAuthentication:
        return cls("basicAuth", user_name=user_name, password=password)

    @classmethod
    def header(cls, key: str, passphrase: str) -> WebhookAuthentication:
        return cls("keyAuth", key=key, passphrase=passphrase)

    def to_form_value(self) -> str:
        """The JSON string the `authentication` form field carries."""
        if self.type == "basicAuth":
            return json.dumps({"type": "basicAuth", "userName": self.user_name, "password": self.password})
        if self.type == "keyAuth":
            return json.dumps({"type": "keyAuth", "key": self.key, "passphrase": self.passphrase})
        return json.dumps({"type": "none"})


# Webhooks created as type "archive" are listed as "archived" (RestWebhook.type): a record keeps the
# type it is created with, so that a listing matches a create (lost-reply check, registration).
_REQUEST_TYPE = {"archived": "archive"}


@dataclass(frozen=True)
class Webhook:
    """A webhook registration. Only the authentication type is kept: the secret stays on the server."""

    id: int
    type: str
    status: str | None
    format: str | None
    target_url: str
    authentication_type: str | None
    created: datetime | None
    modified: datetime | None

    @classmethod
    def from_json(cls, body: dict) -> Webhook:
        authentication = body.get("authentication") or {}
        return cls(
            id=int(body["id"]),
            type=_REQUEST_TYPE.get(str(body["type"]), str(body["type"])),
            status=body.get("status"),
            format=body.get("format"),
            target_url=str(body.get("targetUrl") or ""),
            authentication_type=authentication.get("type") if isinstance(authentication, dict) else None,
            created=parse_datetime(body.get("created")),
            modified=parse_datetime(body.get("modified")),
        )


@dataclass(frozen=True)
class WebhookVerification:
    webhook_id: int | None
    http_status_code: int | None
    response_body: str | None
    number_of_events: int | None
    target_url: str | None

    @classmethod
    def from_json(cls, body: dict) -> WebhookVerification:
        return cls(
            body.get("id"), body.get("httpStatusCode"), body.get("responseBody"),
            body.get("numberOfEvents"), body.get("targetUrl"),
        )
