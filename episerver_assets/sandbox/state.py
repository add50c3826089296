"""In-memory state of the sandbox: one Campaign client's lists, recipients, suppressions and webhooks.

REST, SOAP and SFTP handlers all read and change the same state, so that a recipient added over SOAP
is visible over REST, as on the real service. Every method takes the lock: the servers run on
different threads.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import enum
import functools
import itertools
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

_ADDRESS = re.compile(r"^[^@\s;\"]+@[^@\s;\"]+\.[A-Za-z]{2,}$")

BOUNCE_THRESHOLD = 3
"""Hard bounces after which Campaign refuses to add an address again."""

MAX_CONCURRENT_RECIPIENT_QUERIES = 10
"""Recipient select/count calls one client may have in flight; Campaign answers 429 beyond."""


class TooManyRecipientQueries(Exception):
    """An eleventh concurrent recipient select/count call."""


class WebhookStateError(Exception):
    """A webhook transition its current status forbids (activate twice, delete while active)."""


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
    created: datetime = field(default_factory=now)
    modified: datetime = field(default_factory=now)
    test_list: bool = False

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
    modified: datetime = field(default_factory=now)


@dataclass
class TargetGroup:
    """A saved recipient filter; the sandbox's only condition kind is "attribute equals value"."""

    target_group_id: int
    name: str
    conditions: dict[str, str]

    def matches(self, recipient: Recipient) -> bool:
        return all(recipient.attributes.get(name) == value for name, value in self.conditions.items())


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
        # Indexes kept beside the records: every add checks suppressions, so no scan per add.
        self._hard_bounces: collections.Counter[str] = collections.Counter()
        self._wildcard_patterns: dict[str, re.Pattern[str]] = {}
        self.webhooks: dict[int, Webhook] = {}
        self.target_groups: dict[int, TargetGroup] = {}
        self._ids = itertools.count(account.client_id * 1000 + 1)
        self._recipient_queries = 0

    def next_id(self) -> int:
        with self.lock:
            return next(self._ids)

    def recipient_list(self, list_id: int) -> RecipientList:
        with self.lock:
            return self.lists[list_id]

    def is_blocklisted(self, address: str) -> bool:
        """Match as Campaign does: `*` any characters, `?` one character, backslash escapes them."""
        address = address.lower()
        with self.lock:
            if address in self.blocklist:
                return True
            return any(regex.fullmatch(address) for regex in self._wildcard_patterns.values())

    def hard_bounce_count(self, address: str) -> int:
        address = address.lower()
        with self.lock:
            return self._hard_bounces[address]

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

    def unsubscribe(
        self,
        address: str,
        list_id: int | None = None,
        mailing_id: int | None = None,
        media_type: str | None = None,
    ) -> bool:
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
                "mediaType": media_type,
                "created": now(),
            }
            return True

    # Recipient queries (REST select/count), limited like Campaign's.

    @contextlib.contextmanager
    def recipient_query(self) -> Iterator[None]:
        """Hold one of the client's concurrent recipient query slots for the duration."""
        with self.lock:
            if self._recipient_queries >= MAX_CONCURRENT_RECIPIENT_QUERIES:
                raise TooManyRecipientQueries()
            self._recipient_queries += 1
        try:
            yield
        finally:
            with self.lock:
                self._recipient_queries -= 1

    def select_recipients(
        self,
        list_id: int,
        offset: int,
        limit: int,
        sort: str = "id",
        descending: bool = False,
        target_group_id: int | None = None,
    ) -> tuple[list[Recipient], int]:
        """One page of copies, ordered by `sort` (id, created, modified or a field), and the total."""
        with self.lock:
            matching = self._matching(list_id, target_group_id)
            matching.sort(key=lambda r: (_sort_value(r, sort), r.recipient_id), reverse=descending)
            page = [_copy(r) for r in matching[offset : offset + limit]]
            return page, len(matching)

    def count_recipients(self, list_id: int, target_group_id: int | None = None) -> int:
        with self.lock:
            return len(self._matching(list_id, target_group_id))

    def update_target_group(
        self, list_id: int, target_group_id: int, attributes: dict[str, str | None], mode: str = "set"
    ) -> list[Recipient]:
        """Update every recipient of the list in the target group; returns copies of them, updated."""
        with self.lock:
            members = self._matching(list_id, target_group_id)
            for member in members:
                self.update_recipient(list_id, member.recipient_id, attributes, mode)
            return [_copy(m) for m in members]

    def get_recipient(self, list_id: int, recipient_id: str) -> Recipient | None:
        with self.lock:
            recipient = self.lists[list_id].recipients.get(recipient_id)
            return _copy(recipient) if recipient else None

    def delete_recipients(self, list_id: int, recipient_ids: Iterable[str]) -> int:
        with self.lock:
            return sum(self.delete_recipient(list_id, recipient_id) for recipient_id in recipient_ids)

    def delete_suppressed_recipients(self, list_id: int, removal_type: str) -> int:
        """Remove the list's recipients that are `blacklisted`, `bounced` or `unsubscribed`."""
        suppressed = {
            "blacklisted": self.is_blocklisted,
            "bounced": lambda address: self.hard_bounce_count(address) >= BOUNCE_THRESHOLD,
            "unsubscribed": lambda address: address.lower() in self.unsubscribes,
        }[removal_type]
        with self.lock:
            doomed = [
                r.recipient_id
                for r in self.lists[list_id].recipients.values()
                if suppressed(r.attributes.get("email") or r.recipient_id)
            ]
            return self.delete_recipients(list_id, doomed)

    def _matching(self, list_id: int, target_group_id: int | None) -> list[Recipient]:
        recipients = list(self.lists[list_id].recipients.values())
        if target_group_id is None:
            return recipients
        group = self.target_groups[target_group_id]
        return [r for r in recipients if group.matches(r)]

    # Blocklist and responses.

    def add_blocklist_entry(self, pattern: str, reason: str | None = None) -> dict:
        """Create or, for a known pattern, update an entry; returns a copy of it."""
        key = pattern.lower()
        stamp = now()
        with self.lock:
            entry = self.blocklist.setdefault(key, {"pattern": pattern, "created": stamp})
            if "*" in key or "?" in key:
                self._wildcard_patterns[key] = _blocklist_regex(key)
            entry.update(reason=reason, modified=stamp)
            return dict(entry)

    def record_bounce(
        self, recipient_id: str, category: str, mailing_id: int | None = None, list_id: int | None = None
    ) -> None:
        with self.lock:
            if category == "hardbounce":
                self._hard_bounces[recipient_id.lower()] += 1
            self.bounces.append(
                {
                    "recipientId": recipient_id,
                    "category": category,
                    "mailingId": mailing_id,
                    "recipientListId": list_id,
                    "created": now(),
                }
            )

    def select_bounces(
        self, category: str, recipient_ids: Iterable[str] | None = None, mailing_id: int | None = None
    ) -> list[dict]:
        """Copies of the bounce records of one category, optionally for some recipients or a mailing."""
        wanted = {r.lower() for r in recipient_ids} if recipient_ids is not None else None
        with self.lock:
            return [
                dict(b)
                for b in self.bounces
                if b["category"] == category
                and (wanted is None or b["recipientId"].lower() in wanted)
                and (mailing_id is None or b.get("mailingId") == mailing_id)
            ]

    def knows_recipient(self, recipient_id: str) -> bool:
        """Whether the id appears in any list, bounce or unsubscribe of this client."""
        key = recipient_id.lower()
        with self.lock:
            return (
                any(recipient_id in lst.recipients for lst in self.lists.values())
                or any(b["recipientId"].lower() == key for b in self.bounces)
                or key in self.unsubscribes
            )

    def knows_mailing(self, mailing_id: int) -> bool:
        """Whether a bounce or unsubscribe refers to the mailing (the sandbox keeps no mailings)."""
        with self.lock:
            records = itertools.chain(self.bounces, self.unsubscribes.values())
            return any(record.get("mailingId") == mailing_id for record in records)

    # Webhooks.

    def create_webhook(self, type: str, target_url: str, authentication: dict) -> Webhook:
        with self.lock:
            webhook = Webhook(self.next_id(), type, target_url, dict(authentication))
            self.webhooks[webhook.webhook_id] = webhook
            return dataclasses.replace(webhook)

    def update_webhook(self, webhook_id: int, type: str, target_url: str, authentication: dict) -> Webhook:
        with self.lock:
            webhook = self.webhooks[webhook_id]
            webhook.type, webhook.target_url, webhook.authentication = type, target_url, dict(authentication)
            webhook.modified = now()
            return dataclasses.replace(webhook)

    def activate_webhook(self, webhook_id: int) -> Webhook:
        return self._move_webhook(webhook_id, "activated", allowed_from={"created", "deactivated"})

    def deactivate_webhook(self, webhook_id: int) -> Webhook:
        return self._move_webhook(webhook_id, "deactivated", allowed_from={"activated"})

    def delete_webhook(self, webhook_id: int) -> None:
        with self.lock:
            if self.webhooks[webhook_id].status == "activated":
                raise WebhookStateError(f"Webhook {webhook_id} is activated; deactivate it before deleting.")
            del self.webhooks[webhook_id]

    def active_webhooks(self) -> list[Webhook]:
        with self.lock:
            return [dataclasses.replace(w) for w in self.webhooks.values() if w.status == "activated"]

    def _move_webhook(self, webhook_id: int, status: str, allowed_from: set[str]) -> Webhook:
        with self.lock:
            webhook = self.webhooks[webhook_id]
            if webhook.status not in allowed_from:
                raise WebhookStateError(f"Webhook {webhook_id} is in status {webhook.status}.")
            webhook.status, webhook.modified = status, now()
            return dataclasses.replace(webhook)


@functools.cache
def _blocklist_regex(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\\[*?]|[*?])", pattern.lower())
    wildcards = {"*": ".*", "?": "."}
    return re.compile("".join(wildcards.get(p) or re.escape(p.removeprefix("\\")) for p in parts))


def _sort_value(recipient: Recipient, sort: str) -> str | datetime:
    if sort == "id":
        return recipient.recipient_id
    if sort in ("created", "modified"):
        return getattr(recipient, sort)
    return recipient.attributes.get(sort) or ""


def _copy(recipient: Recipient) -> Recipient:
    return dataclasses.replace(recipient, attributes=dict(recipient.attributes))


class SandboxState:
    """All clients of one sandbox, by client id."""

    def __init__(self, accounts: list[ClientAccount]):
        self.clients = {a.client_id: ClientState(a) for a in accounts}

    def client(self, client_id: int) -> ClientState:
        return self.clients[client_id]

    def webhook_owner(self, webhook_id: int) -> int | None:
        """The client id a webhook belongs to, if any (Campaign answers 409 for another client's)."""
        return next((c for c, state in self.clients.items() if webhook_id in state.webhooks), None)

    def authenticate(self, client_id: int, user: str, password: str) -> ClientState | None:
        state = self.clients.get(client_id)
        if state and state.account.api_user == user and state.account.api_password == password:
            return state
        return None
