"""Unsubscribes, blocklist entries and bounces (mailing responses)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..errors import CampaignNotFound
from .http import RestSession, Safety
from .suppression_models import BlocklistEntry, Response, Unsubscribe, UnsubscribeResult
from .recipients import chunked

MAX_UNSUBSCRIBES_PER_REQUEST = 5000
"""Documented limit of `POST /unsubscribes` ("max. 5000")."""

RESPONSE_CATEGORIES = ("hardbounce", "softbounce", "autoresponder", "unknown")
RECIPIENT_IDS_PER_QUERY = 100


class SuppressionOperations:
    """Mixed into `CampaignRestClient`; needs `_session` and `_page_size`."""

    _session: RestSession
    _page_size: int

    def unsubscribes(self, recipient_list_id: int | None = None) -> Iterator[Unsubscribe]:
        params = {"recipientListId": recipient_list_id} if recipient_list_id is not None else {}
        for page in self._session.pages(self._session.url("unsubscribes"), params, page_size=self._page_size):
            yield from (Unsubscribe.from_json(e) for e in page)

    def add_unsubscribes(self, recipient_ids: Iterable[str], recipient_list_id: int | None = None) -> UnsubscribeResult:
        """Unsubscribe recipients, 5000 per request.

        Resent after a lost reply: unsubscribing twice has the same effect; ids the lost attempt
        handled may then be reported as unsuccessful (already unsubscribed).
        """
        successful: list[str] = []
        unsuccessful: list[str] = []
        for batch in chunked(recipient_ids, MAX_UNSUBSCRIBES_PER_REQUEST):
            form: dict[str, str | list[str]] = {"recipientIds": batch}
            if recipient_list_id is not None:
                form["recipientListId"] = str(recipient_list_id)
            body = self._session.send_json("POST", self._session.url("unsubscribes"), data=form) or {}
            successful.extend(str(i) for i in body.get("successfulIds") or ())
            unsuccessful.extend(str(i) for i in body.get("unsuccessfulIds") or ())
        return UnsubscribeResult(tuple(successful), tuple(unsuccessful))

    def blocklist(self) -> Iterator[BlocklistEntry]:
        url = self._session.url("blacklistentries")
        for page in self._session.pages(url, {}, page_size=self._page_size):
            yield from (BlocklistEntry.from_json(e) for e in page)

    def get_blocklist_entry(self, pattern: str) -> BlocklistEntry | None:
        try:
            return BlocklistEntry.from_json(self._session.send_json("GET", self._session.url("blacklistentries", pattern)))
        except CampaignNotFound:
            return None

    def add_blocklist_entry(self, pattern: str, reason: str | None = None) -> BlocklistEntry:
        """Create one blocklist entry; after a lost reply the entry is looked up before a resend."""
        form = {"entry": pattern, **({"reason": reason} if reason is not None else {})}

        def send() -> BlocklistEntry:
            body = self._session.send_json("POST", self._session.url("blacklistentries"), data=form,
                                           safety=Safety.NOT_REPEATABLE)
            return BlocklistEntry.from_json(body) if body else BlocklistEntry(pattern, reason, None, None)

        return self._session.write_checked(f"add blocklist entry {pattern!r}", send,
                                           lambda: self.get_blocklist_entry(pattern))

    def responses(self, category: str, *, mailing_id: int | None = None,
                  recipient_ids: Iterable[str] | None = None) -> Iterator[Response]:
        """Mailing responses of one category for a mailing and/or some recipients.

        The API wants `mailingId` or `recipientIds` besides `category` (400 otherwise), and pages
        by `links` only (no offset parameter). Recipient ids go 100 per request to keep URLs short.
        """
        if category not in RESPONSE_CATEGORIES:
            raise ValueError(f"category must be one of {RESPONSE_CATEGORIES}, not {category!r}")
        if mailing_id is None and recipient_ids is None:
            raise ValueError("GET /responses needs a mailing_id or recipient_ids besides the category")
        base: dict[str, object] = {"category": category, "limit": self._page_size}
        if mailing_id is not None:
            base["mailingId"] = mailing_id
        id_batches = chunked(recipient_ids, RECIPIENT_IDS_PER_QUERY) if recipient_ids is not None else [None]
        for ids in id_batches:
            params = {**base, "recipientIds": ",".join(ids)} if ids else base
            for page in self._session.pages(self._session.url("responses"), params, page_size=None):
                yield from (Response.from_json(e) for e in page)

    def bounces(self, category: str = "hardbounce", *, mailing_id: int | None = None,
                recipient_ids: Iterable[str] | None = None) -> Iterator[Response]:
        """Hard or soft bounces (`GET /responses?category=hardbounce|softbounce`) of a mailing or recipients."""
        if category not in ("hardbounce", "softbounce"):
            raise ValueError(f"bounce category must be hardbounce or softbounce, not {category!r}")
        return self.responses(category, mailing_id=mailing_id, recipient_ids=recipient_ids)
