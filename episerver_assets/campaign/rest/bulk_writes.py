"""Bulk add and bulk modify of recipients, from `RecipientData` objects or from columns.

The column entry points (`*_encoded`) take ids and each recipient's fields as a JSON object text
(what the export plan stores) and splice the request body together (`bulk_body.py`); both kinds share
batching, the throttle, retries, the `uncertain` flag and result parsing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from itertools import islice
from typing import Any

from .body import decode_json
from .bulk_body import EncodedJson, add_body, modify_body
from .http import RestSession, Safety
from .models import BulkResult, RecipientData


def chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class BulkRecipientWrites:
    """Mixed into `RecipientOperations`; needs `_session` and `_batch_size`."""

    _session: RestSession
    _batch_size: int

    def add_recipients(self, list_id: int, recipients: Iterable[RecipientData],
                       optin_process_id: int | None = None) -> BulkResult:
        """Bulk add in batches; existing recipients are left untouched and reported in `failed_ids`.

        Resending a batch is safe (the service refuses ids already in the list, so nothing is
        duplicated); a resend after a lost reply sets `uncertain` on the result.
        """
        def body(batch: list[RecipientData]) -> dict[str, Any]:
            request: dict[str, Any] = {"recipients": [r.to_json() for r in batch]}
            if optin_process_id is not None:
                request["optinProcessId"] = optin_process_id
            return request

        return self._bulk_add(list_id, map(body, chunked(recipients, self._batch_size)))

    def add_recipients_encoded(self, list_id: int, ids: Sequence[str], data_texts: Sequence[str | None],
                               addresses: Sequence[str | None] | None = None,
                               optin_process_id: int | None = None) -> BulkResult:
        """`add_recipients` from columns: ids, each one's fields as a JSON object text (None: none), addresses.

        Same batches, retries and result as `add_recipients`, without an object per row (`bulk_body.py`).
        """
        def body(start: int) -> EncodedJson:
            end = start + self._batch_size
            return add_body(ids[start:end], data_texts[start:end],
                            None if addresses is None else addresses[start:end], optin_process_id)

        return self._bulk_add(list_id, map(body, range(0, len(ids), self._batch_size)))

    def _bulk_add(self, list_id: int, bodies: Iterable[Any]) -> BulkResult:
        url, total = self._session.url("recipients", list_id), BulkResult()
        for body in bodies:
            response, resent = self._session.send_tracked("PUT", url, json=body)
            total = total.merge(replace(_bulk_result(decode_json(response)), uncertain=resent))
        return total

    def modify_recipients(self, list_id: int, recipients: Iterable[RecipientData], mode: str = "set") -> BulkResult:
        """Bulk update attributes in batches. "set" is idempotent and resent; append/prepend never are."""
        bodies = ({"updateMode": mode, "recipients": [{"id": r.id, "data": dict(r.attributes)} for r in batch]}
                  for batch in chunked(recipients, self._batch_size))
        return self._bulk_modify(list_id, bodies, mode)

    def modify_recipients_encoded(self, list_id: int, ids: Sequence[str], data_texts: Sequence[str | None],
                                  mode: str = "set") -> BulkResult:
        """`modify_recipients` from columns: ids and each one's fields as a JSON object text (`bulk_body.py`)."""
        bodies = (modify_body(mode, ids[start:start + self._batch_size], data_texts[start:start + self._batch_size])
                  for start in range(0, len(ids), self._batch_size))
        return self._bulk_modify(list_id, bodies, mode)

    def _bulk_modify(self, list_id: int, bodies: Iterable[Any], mode: str) -> BulkResult:
        safety = Safety.REPEATABLE if mode == "set" else Safety.NOT_REPEATABLE
        url, total = self._session.url("recipients", list_id, "modify"), BulkResult()
        for body in bodies:
            total = total.merge(_bulk_result(self._session.send_json("PUT", url, json=body, safety=safety)))
        return total


def _bulk_result(body: dict | None) -> BulkResult:
    body = body or {}
    return BulkResult(int(body.get("count") or 0), tuple(str(i) for i in body.get("failedIds") or ()))
