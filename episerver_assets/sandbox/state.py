"""In-memory state of the sandbox: one Campaign client's lists, recipients, suppressions and webhooks.

REST, SOAP and SFTP handlers all read and change the same state, so that a recipient added over SOAP
is visible over REST, as on the real service. Every method takes the lock: the servers run on
different threads.
"""

from __future__ import annotations

import enum
import itertools
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

_ADDRESS = re.compile(r"^[^@\s;\"]+@[^@\s;\"]+\.[A-Za-z]{2,}$")

BOUNCE_THRESHOLD = 3
"""Hard bounces after which Campaign refuses to add an address again."""


class AddOutcome(enum.IntEnum):
    """Per-recipient result of an add, numbered as SOAP `addAll3` returns it."""

    ADDED = 0
    INVALID_ADDRESS = 1
    UNSUBSCRIBED = 2
    BLOCKLISTED = 3
    TOO_MANY_BOUNCES = 4
    ALREADY_IN_LIST = 5


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def is_valid_address(address: str) -> bool:
    return bool(_ADDRESS.match(address))


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


@dataclass
class RecipientList:
    list_id: int
    name: str
    description: str
    fields: list[ListField]
    recipients: dict[str, Recipient] = field(default_factory=dict)

    @property
    def attribute_names(self) -> list[str]:
        return [f.internal_name for f in self.fields]


@dataclass
class Webhook:
    webhook_id: int
    type: str
    target_url: str
    authentication: dict
    format: str = "json"
    status: str = "created"
    created: datetime = field(default_factory=now)


@dataclass
class ClientAccount:
    """Credentials of one Campaign client: REST Basic auth and SOAP login use the same pair."""

    client_id: int
    api_user: str
    api_password: str


class ClientState:
    def __init__(self, account: ClientAccount):
        self.account = account
        self.lock = threading.RLock()
        self.lists: dict[int, RecipientList] = {}
        self.unsubscribes: dict[str, dict] = {}
        self.blocklist: dict[str, dict] = {}
        self.bounces: list[dict] = []
        self.webhooks: dict[int, Webhook] = {}
        self._ids = itertools.count(account.client_id * 1000 + 1)

    def next_id(self) -> int:
        with self.lock:
            return next(self._ids)

    def recipient_list(self, list_id: int) -> RecipientList:
        with self.lock:
            return self.lists[list_id]

    def is_blocklisted(self, address: str) -> bool:
        address = address.lower()
        with self.lock:
            return any(
                address == pattern or (pattern.startswith("*@") and address.endswith(pattern[1:]))
                for pattern in self.blocklist
            )

    def hard_bounce_count(self, address: str) -> int:
        address = address.lower()
        with self.lock:
            return sum(
                1 for b in self.bounces if b["recipientId"].lower() == address and b["category"] == "hardbounce"
            )

    def add_recipient(
        self, list_id: int, recipient_id: str, attributes: dict[str, str | None]
    ) -> AddOutcome:
        """Add one recipient as Campaign does: suppressions first, existing recipients untouched."""
        address = (attributes.get("email") or recipient_id or "").strip()
        with self.lock:
            target = self.lists[list_id]
            if not is_valid_address(address):
                return AddOutcome.INVALID_ADDRESS
            if address.lower() in self.unsubscribes:
                return AddOutcome.UNSUBSCRIBED
            if self.is_blocklisted(address):
                return AddOutcome.BLOCKLISTED
            if self.hard_bounce_count(address) >= BOUNCE_THRESHOLD:
                return AddOutcome.TOO_MANY_BOUNCES
            if recipient_id in target.recipients:
                return AddOutcome.ALREADY_IN_LIST
            stamp = now()
            values = {name: attributes.get(name) for name in target.attribute_names}
            values["email"] = address
            target.recipients[recipient_id] = Recipient(recipient_id, values, stamp, stamp)
            return AddOutcome.ADDED

    def update_recipient(
        self, list_id: int, recipient_id: str, attributes: dict[str, str | None], mode: str = "set"
    ) -> bool:
        """Change attributes of an existing recipient; False when it is not in the list."""
        with self.lock:
            recipient = self.lists[list_id].recipients.get(recipient_id)
            if recipient is None:
                return False
            for name, value in attributes.items():
                old = recipient.attributes.get(name) or ""
                if mode == "append":
                    value = old + (value or "")
                elif mode == "prepend":
                    value = (value or "") + old
                recipient.attributes[name] = value
            recipient.modified = now()
            return True

    def delete_recipient(self, list_id: int, recipient_id: str) -> bool:
        with self.lock:
            return self.lists[list_id].recipients.pop(recipient_id, None) is not None

    def clear_list(self, list_id: int) -> int:
        with self.lock:
            removed = len(self.lists[list_id].recipients)
            self.lists[list_id].recipients.clear()
            return removed

    def unsubscribe(self, address: str, list_id: int | None = None, mailing_id: int | None = None) -> bool:
        """Record an unsubscribe; False when the address was already unsubscribed."""
        key = address.lower()
        with self.lock:
            if key in self.unsubscribes:
                return False
            self.unsubscribes[key] = {
                "recipientId": address,
                "recipientListId": list_id,
                "mailingId": mailing_id,
                "reason": "api",
                "created": now(),
            }
            return True


class SandboxState:
    """All clients of one sandbox, by client id."""

    def __init__(self, accounts: list[ClientAccount]):
        self.clients = {a.client_id: ClientState(a) for a in accounts}

    def client(self, client_id: int) -> ClientState:
        return self.clients[client_id]

    def authenticate(self, client_id: int, user: str, password: str) -> ClientState | None:
        state = self.clients.get(client_id)
        if state and state.account.api_user == user and state.account.api_password == password:
            return state
        return None
