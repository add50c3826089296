"""Recipient lists and recipients: read, count, add, upsert, bulk add/modify, delete.

Bulk batch size: the OpenAPI document states no maximum for `PUT /recipients/{listId}` or
`PUT .../modify`. Its only stated batch limits are 1000 blocklist entries and 5000 unsubscribe ids
per request, so bulk add/modify default to 1000 recipients per request (the smaller of the two): a
request of 1000 recipients with a dozen fields stays around 0.5 MB and within gateway timeouts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from ..errors import CampaignConflict, CampaignInvalidResponse, CampaignNotFound, CampaignRefusedOperation
from .bulk_writes import BulkRecipientWrites, chunked
from .http import RestSession, Safety
from .models import (
    ListField,
    Recipient,
    RecipientData,
    RecipientList,
    UpsertOutcome,
    UpsertResult,
)

MAX_BULK_BATCH = 1000
DELETE_IDS_PER_REQUEST = 100
"""Ids per `DELETE /recipients/{listId}?recipientIds=...`: keeps the URL well under 8 KB."""


def _form_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _recipient_form(recipient: RecipientData) -> dict[str, str]:
    return {f"data.{name}": _form_value(value) for name, value in recipient.attributes.items()}


class RecipientOperations(BulkRecipientWrites):
    """Mixed into `CampaignRestClient`; needs `_session`, `_page_size`, `_batch_size`."""

    _session: RestSession
    _page_size: int
    _batch_size: int

    # --- recipient lists -------------------------------------------------------------------
    def recipient_lists(self) -> list[RecipientList]:
        url = self._session.url("recipientlists")
        return [RecipientList.from_json(e) for page in self._session.pages(url, {}, page_size=self._page_size)
                for e in page]

    def recipient_list(self, list_id: int) -> RecipientList:
        url = self._session.url("recipientlists", list_id)
        return RecipientList.from_json(self._session.send_json("GET", url, expect=dict))

    def list_fields(self, list_id: int) -> list[ListField]:
        url = self._session.url("recipientlists", list_id, "fields")
        return [ListField.from_json(e) for page in self._session.pages(url, {}, page_size=None) for e in page]

    def attribute_names(self, list_id: int) -> list[str]:
        url = self._session.url("recipientlists", list_id, "attributeNames")
        return list(self._session.send_json("GET", url, expect=dict).get("attributeNames") or [])

    # --- reading recipients (count against the 10 concurrent select/count calls) -----------
    def recipients(self, list_id: int, attribute_names: Sequence[str] | None = None) -> Iterator[Recipient]:
        """All recipients of a list, page by page, as a lazy iterator."""
        params = {"attributeNames": ",".join(attribute_names)} if attribute_names else {}
        url = self._session.url("recipients", list_id)
        for page in self._session.pages(url, params, page_size=self._page_size, recipient_read=True):
            yield from (Recipient.from_json(e) for e in page)

    def count_recipients(self, list_id: int) -> int:
        url = self._session.url("recipients", list_id, "count")
        count = self._session.send_json("GET", url, recipient_read=True, expect=dict).get("count")
        if isinstance(count, bool) or not isinstance(count, int):
            raise CampaignInvalidResponse("GET", url, "the answer holds no integer count")
        return count

    def get_recipient(self, list_id: int, recipient_id: str,
                      attribute_names: Sequence[str] | None = None) -> Recipient | None:
        params = {"attributeNames": ",".join(attribute_names)} if attribute_names else None
        try:
            body = self._session.send_json("GET", self._session.url("recipients", list_id, recipient_id), params=params)
        except CampaignNotFound:
            return None
        return Recipient.from_json(body)

    def recipients_modified_since(
        self, list_id: int, watermark: datetime | None, attribute_names: Sequence[str] | None = None
    ) -> tuple[list[Recipient], datetime | None]:
        """Recipients with `modified >= watermark` and the new watermark (the latest `modified` seen).

        The API has no such filter, so the whole list is read and filtered here. The bound is
        inclusive because `modified` has one-second resolution: a recipient changed in the same
        second as the last one seen, after its page was read, must not be lost. Records stamped
        exactly at the watermark therefore come again; consumers deduplicate by recipient id.
        """
        changed: list[Recipient] = []
        newest = watermark
        for recipient in self.recipients(list_id, attribute_names):
            if recipient.modified is None:
                continue
            if watermark is None or recipient.modified >= watermark:
                changed.append(recipient)
            if newest is None or recipient.modified > newest:
                newest = recipient.modified
        return changed, newest

    # --- single-recipient writes -------------------------------------------------------------
    def _post_add(self, list_id: int, recipient: RecipientData, optin_process_id: int | None,
                  safety: Safety) -> Recipient:
        form = {"recipientId": recipient.id, **_recipient_form(recipient)}
        if recipient.address is not None:
            form["address"] = recipient.address
        if optin_process_id is not None:
            form["optinProcessId"] = str(optin_process_id)
        body = self._session.send_json("POST", self._session.url("recipients", list_id), data=form, safety=safety)
        return Recipient.from_json(body) if body else Recipient(recipient.id, None, None, dict(recipient.attributes))

    def add_recipient(self, list_id: int, recipient: RecipientData, optin_process_id: int | None = None) -> Recipient:
        """Add one recipient; `CampaignConflict` (409) if it exists or is suppressed.

        A lost reply is followed by a read of the recipient before any resend. A resend that gets
        409 reads again: a slow first attempt may have landed after the read.
        """
        attempts = 0

        def send() -> Recipient:
            nonlocal attempts
            attempts += 1
            try:
                return self._post_add(list_id, recipient, optin_process_id, Safety.NOT_REPEATABLE)
            except CampaignConflict:
                landed = self.get_recipient(list_id, recipient.id) if attempts > 1 else None
                if landed is None:
                    raise
                return landed

        return self._session.write_checked(f"add recipient to list {list_id}", send,
                                           lambda: self.get_recipient(list_id, recipient.id))

    def update_recipient(self, list_id: int, recipient: RecipientData, mode: str = "set") -> Recipient:
        """Change attributes of one recipient. Only mode "set" is resent after a lost reply."""
        safety = Safety.REPEATABLE if mode == "set" else Safety.NOT_REPEATABLE
        url = self._session.url("recipients", list_id, recipient.id)
        body = self._session.send_json("POST", url, data={**_recipient_form(recipient), "mode": mode}, safety=safety)
        return Recipient.from_json(body) if body else Recipient(recipient.id, None, None, dict(recipient.attributes))

    def upsert_recipient(self, list_id: int, recipient: RecipientData) -> UpsertResult:
        """Add, and on 409 update (the API has no upsert).

        Safe to resend: if a lost add did take effect, the resend gets 409 and updates with the same
        values, so the end state is the same (the outcome then reads UPDATED).
        """
        try:
            self._post_add(list_id, recipient, None, Safety.REPEATABLE)
            return UpsertResult(recipient.id, UpsertOutcome.ADDED)
        except CampaignConflict as conflict:
            try:
                self.update_recipient(list_id, recipient)
            except (CampaignNotFound, CampaignConflict):
                return UpsertResult(recipient.id, UpsertOutcome.REJECTED, conflict.message)
            return UpsertResult(recipient.id, UpsertOutcome.UPDATED)

    def delete_recipient(self, list_id: int, recipient_id: str) -> bool:
        """Delete one recipient; False if it was not in the list (also after a resent lost delete)."""
        try:
            self._session.send("DELETE", self._session.url("recipients", list_id, recipient_id))
        except CampaignNotFound:
            return False
        return True

    # --- bulk deletes (bulk add / modify: `bulk_writes.py`) ---------------------------------------
    def delete_recipients(self, list_id: int, recipient_ids: Iterable[str]) -> int:
        """Delete the given recipients (ids missing from the list are ignored); returns ids sent."""
        sent = 0
        for batch in chunked(recipient_ids, DELETE_IDS_PER_REQUEST):
            self._delete_from_list(list_id, {"recipientIds": ",".join(batch)})
            sent += len(batch)
        return sent

    def delete_all_recipients(self, list_id: int, *, confirm: bool = False) -> None:
        """Empty the whole list. Refused unless `confirm=True` is passed explicitly."""
        if confirm is not True:
            raise CampaignRefusedOperation(f"deleting every recipient of list {list_id} needs confirm=True")
        self._delete_from_list(list_id, {}, everything=True)

    def _delete_from_list(self, list_id: int, params: dict[str, str], everything: bool = False) -> None:
        # DELETE /recipients/{listId} without recipientIds or removalType deletes the whole list.
        if not everything and not (params.get("recipientIds") or params.get("removalType")):
            raise CampaignRefusedOperation(f"refusing DELETE of list {list_id} recipients without recipientIds")
        self._session.send("DELETE", self._session.url("recipients", list_id), params=params or None)

