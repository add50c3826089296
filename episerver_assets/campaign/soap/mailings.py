"""RpcMailing through the client's session: mailing ids, names, recipient lists and `sendMail`.

`sendMail` sends an event mailing to one recipient of one of the mailing's lists and answers with a
code (`SendMailCode`); only 0 means the mail was spooled. The mail itself goes out asynchronously.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from ..errors import CampaignError
from .encoding import long_array, string_array
from .session import SessionKeeper

_SERVICE = "RpcMailing"


class SendMailCode(enum.IntEnum):
    """What `sendMail`/`sendMails` did with one recipient (Campaign's documented return values)."""

    SPOOLED = 0
    BLOCKLISTED = 1
    UNSUBSCRIBED = 2
    RECIPIENT_NOT_FOUND = 3
    LIST_NOT_ASSIGNED = 4
    FILTERED_BY_TARGET_GROUP = 5
    TOO_MANY_BOUNCES = 6

    @classmethod
    def from_wire(cls, value: object) -> SendMailCode:
        try:
            return cls(int(value))
        except (TypeError, ValueError):
            raise CampaignError(f"sendMail returned {value!r}, which is not a documented code") from None


class SoapMailings:
    """The mailing operations; `CampaignSoapClient.mailings` hands one out."""

    def __init__(self, session: SessionKeeper):
        self._session = session

    def ids(self, mailing_type: str = "regular", status: str | None = None) -> list[int]:
        """Mailings of a type (regular, event, confirmation, template, campaign, split), optionally
        only those in a status (NEW, SENDING, DONE, CANCELED)."""
        if status is None:
            ids = self._session.call(_SERVICE, "getIds", mailing_type, idempotent=True)
        else:
            ids = self._session.call(_SERVICE, "getIdsInStatus", mailing_type, status, idempotent=True)
        return [int(i) for i in ids or []]

    def count(self, mailing_type: str = "regular") -> int:
        return int(self._session.call(_SERVICE, "getCount", mailing_type, idempotent=True) or 0)

    def name(self, mailing_id: int) -> str | None:
        return self._session.call(_SERVICE, "getName", int(mailing_id), idempotent=True)

    def status(self, mailing_id: int) -> str | None:
        return self._session.call(_SERVICE, "getStatus", int(mailing_id), idempotent=True)

    def recipient_list_ids(self, mailing_id: int) -> list[int]:
        ids = self._session.call(_SERVICE, "getRecipientListIds", int(mailing_id), idempotent=True)
        return [int(i) for i in ids or []]

    def set_recipient_list_ids(self, mailing_id: int, list_ids: Sequence[int]) -> None:
        self._session.call(_SERVICE, "setRecipientListIds", int(mailing_id), long_array(list_ids), idempotent=True)

    def send_mail(self, mailing_id: int, list_id: int, recipient_id: str) -> SendMailCode:
        """Send an event mailing to one recipient. Not repeated after a lost answer: the mail may be out."""
        code = self._session.call(
            _SERVICE, "sendMail", int(mailing_id), int(list_id), str(recipient_id), idempotent=False
        )
        return SendMailCode.from_wire(code)

    def send_mails(self, mailing_id: int, list_id: int, recipient_ids: Sequence[str]) -> list[SendMailCode]:
        """One code per recipient, in the order given."""
        codes = self._session.call(
            _SERVICE, "sendMails", int(mailing_id), int(list_id), string_array(recipient_ids), idempotent=False
        ) or []
        if len(codes) != len(recipient_ids):
            raise CampaignError(f"sendMails returned {len(codes)} codes for {len(recipient_ids)} recipients")
        return [SendMailCode.from_wire(code) for code in codes]
