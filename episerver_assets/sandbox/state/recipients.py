"""Recipients of one client's lists: adding (suppressions first), changing and removing them."""

from __future__ import annotations

import enum
from collections.abc import Iterable

from .records import ClientAccount, Recipient, RecipientList, is_valid_address, now
from .suppressions import Suppressions


class AddOutcome(enum.IntEnum):
    """Per-recipient result of an add, numbered as SOAP `addAll3` returns it."""

    ADDED = 0
    INVALID_ADDRESS = 1
    UNSUBSCRIBED = 2
    BLOCKLISTED = 3
    TOO_MANY_BOUNCES = 4
    ALREADY_IN_LIST = 5


_SUPPRESSED = {
    "unsubscribed": AddOutcome.UNSUBSCRIBED,
    "blocklisted": AddOutcome.BLOCKLISTED,
    "bounced": AddOutcome.TOO_MANY_BOUNCES,
}


class Recipients(Suppressions):
    def __init__(self, account: ClientAccount):
        super().__init__(account)
        self.lists: dict[int, RecipientList] = {}

    def add_recipient(
        self, list_id: int, recipient_id: str, attributes: dict[str, str | None]
    ) -> AddOutcome:
        """Add one recipient as Campaign does: suppressions first, existing recipients untouched."""
        address = (attributes.get("email") or recipient_id or "").strip()
        with self.lock:
            target = self.lists[list_id]
            if not is_valid_address(address):
                return AddOutcome.INVALID_ADDRESS
            if suppression := self.suppression(address):
                return _SUPPRESSED[suppression]
            if recipient_id in target.recipients:
                return AddOutcome.ALREADY_IN_LIST
            stamp = now()
            values = {name: attributes.get(name) for name in target.attribute_names}
            values["email"] = address
            target.recipients[recipient_id] = Recipient(recipient_id, values, stamp, stamp)
            return AddOutcome.ADDED

    def get_recipient(self, list_id: int, recipient_id: str) -> Recipient | None:
        with self.lock:
            recipient = self.lists[list_id].recipients.get(recipient_id)
            return recipient.copy() if recipient else None

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

    def delete_recipients(self, list_id: int, recipient_ids: Iterable[str]) -> int:
        with self.lock:
            return sum(self.delete_recipient(list_id, recipient_id) for recipient_id in recipient_ids)

    def delete_suppressed_recipients(self, list_id: int, removal_type: str) -> int:
        """Remove the list's recipients that are `blacklisted`, `bounced` or `unsubscribed`."""
        suppressed = {
            "blacklisted": self.is_blocklisted,
            "bounced": self.bounces_too_often,
            "unsubscribed": self.is_unsubscribed,
        }[removal_type]
        with self.lock:
            doomed = [
                r.recipient_id
                for r in self.lists[list_id].recipients.values()
                if suppressed(r.attributes.get("email") or r.recipient_id)
            ]
            return self.delete_recipients(list_id, doomed)

    def clear_list(self, list_id: int) -> int:
        with self.lock:
            removed = len(self.lists[list_id].recipients)
            self.lists[list_id].recipients.clear()
            return removed

    def knows_recipient(self, recipient_id: str) -> bool:
        """Whether the id appears in any list, bounce or unsubscribe of this client."""
        key = recipient_id.lower()
        with self.lock:
            return (
                any(recipient_id in lst.recipients for lst in self.lists.values())
                or any(b["recipientId"].lower() == key for b in self.bounces)
                or key in self.unsubscribes
            )
