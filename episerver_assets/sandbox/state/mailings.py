"""Mailings of one client and `sendMail`: one event mailing sent to one recipient of a list.

The sandbox sends no e-mail: a send that Campaign would spool is recorded in `Mailing.sends`.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from datetime import datetime

from .records import ClientAccount, now
from .recipient_queries import RecipientQueries

MAILING_TYPES = ("regular", "event", "confirmation", "template", "campaign", "split")
MAILING_STATUSES = ("NEW", "SENDING", "DONE", "CANCELED")


class SendOutcome(enum.IntEnum):
    """Per-recipient result of `sendMail`/`sendMails`, numbered as the SOAP API returns it."""

    SPOOLED = 0
    BLOCKLISTED = 1
    UNSUBSCRIBED = 2
    RECIPIENT_NOT_FOUND = 3
    LIST_NOT_ASSIGNED = 4
    FILTERED_BY_TARGET_GROUP = 5
    TOO_MANY_BOUNCES = 6


_SUPPRESSED = {
    "unsubscribed": SendOutcome.UNSUBSCRIBED,
    "blocklisted": SendOutcome.BLOCKLISTED,
    "bounced": SendOutcome.TOO_MANY_BOUNCES,
}


@dataclass
class Mailing:
    mailing_id: int
    type: str
    name: str
    mime_type: str
    recipient_list_ids: list[int]
    sender_email_prefix: str
    sender_name: str
    charset: str
    description: str | None = None
    status: str = "NEW"
    recipient_filter_ids: list[int] = field(default_factory=list)
    sends: list[tuple[int, str, datetime]] = field(default_factory=list)
    created: datetime = field(default_factory=now)

    def copy(self) -> Mailing:
        return dataclasses.replace(
            self,
            recipient_list_ids=list(self.recipient_list_ids),
            recipient_filter_ids=list(self.recipient_filter_ids),
            sends=list(self.sends),
        )


class Mailings(RecipientQueries):
    def __init__(self, account: ClientAccount):
        super().__init__(account)
        self.mailings: dict[int, Mailing] = {}

    def create_mailing(self, type: str, name: str, recipient_list_ids: list[int], **details: str) -> Mailing:
        """A new mailing in status NEW; `details`: mime_type, sender_email_prefix, sender_name, charset."""
        with self.lock:
            mailing = Mailing(self.next_id(), type, name, recipient_list_ids=list(recipient_list_ids), **details)
            self.mailings[mailing.mailing_id] = mailing
            return mailing.copy()

    def knows_mailing(self, mailing_id: int) -> bool:
        with self.lock:
            return mailing_id in self.mailings or super().knows_mailing(mailing_id)

    def send_mail(self, mailing_id: int, list_id: int, recipient_id: str) -> SendOutcome:
        """Check the recipient as Campaign does for an event mailing and, if nothing stops it, spool it."""
        with self.lock:
            mailing = self.mailings[mailing_id]
            recipient_list = self.lists.get(list_id)
            if recipient_list is None or list_id not in mailing.recipient_list_ids:
                return SendOutcome.LIST_NOT_ASSIGNED
            recipient = recipient_list.recipients.get(recipient_id)
            if recipient is None:
                return SendOutcome.RECIPIENT_NOT_FOUND
            if suppression := self.suppression(recipient.attributes.get("email") or recipient_id):
                return _SUPPRESSED[suppression]
            groups = [self.target_groups.get(g) for g in mailing.recipient_filter_ids]
            if not all(group is not None and group.matches(recipient) for group in groups):
                return SendOutcome.FILTERED_BY_TARGET_GROUP
            mailing.sends.append((list_id, recipient_id, now()))
            return SendOutcome.SPOOLED
