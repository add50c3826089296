"""The records one Campaign client holds in the sandbox: accounts, lists, recipients, target groups."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

_ADDRESS = re.compile(r"^[^@\s;\"]+@[^@\s;\"]+\.[A-Za-z]{2,}$")


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def is_valid_address(address: str) -> bool:
    return bool(_ADDRESS.match(address))


@dataclass
class ClientAccount:
    """Credentials of one Campaign client: REST Basic auth and SOAP login use the same pair."""

    client_id: int
    api_user: str
    api_password: str


@dataclass
class ListField:
    internal_name: str
    type: str = "STRING"
    required: bool = False


@dataclass
class Recipient:
    recipient_id: str
    attributes: dict[str, str | None]
    created: datetime
    modified: datetime

    def copy(self) -> Recipient:
        """A copy whose attributes can be handed out without sharing the stored dict."""
        return dataclasses.replace(self, attributes=dict(self.attributes))


@dataclass
class RecipientList:
    list_id: int
    name: str
    description: str
    fields: list[ListField]
    recipients: dict[str, Recipient] = field(default_factory=dict)
    created: datetime = field(default_factory=now)
    modified: datetime = field(default_factory=now)
    test_list: bool = False

    @property
    def attribute_names(self) -> list[str]:
        return [f.internal_name for f in self.fields]


@dataclass
class TargetGroup:
    """A saved recipient filter; the sandbox's only condition kind is "attribute equals value"."""

    target_group_id: int
    name: str
    conditions: dict[str, str]

    def matches(self, recipient: Recipient) -> bool:
        return all(recipient.attributes.get(name) == value for name, value in self.conditions.items())
