"""Recipient queries (REST select/count, target groups), limited in concurrency like Campaign's."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime

from .records import ClientAccount, Recipient, TargetGroup
from .recipients import Recipients

MAX_CONCURRENT_RECIPIENT_QUERIES = 10
"""Recipient select/count calls one client may have in flight; Campaign answers 429 beyond."""


class TooManyRecipientQueries(Exception):
    """An eleventh concurrent recipient select/count call."""


class RecipientQueries(Recipients):
    def __init__(self, account: ClientAccount):
        super().__init__(account)
        self.target_groups: dict[int, TargetGroup] = {}
        self._recipient_queries = 0

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
            page = [r.copy() for r in matching[offset : offset + limit]]
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
            return [m.copy() for m in members]

    def _matching(self, list_id: int, target_group_id: int | None) -> list[Recipient]:
        recipients = list(self.lists[list_id].recipients.values())
        if target_group_id is None:
            return recipients
        group = self.target_groups[target_group_id]
        return [r for r in recipients if group.matches(r)]


def _sort_value(recipient: Recipient, sort: str) -> str | datetime:
    if sort == "id":
        return recipient.recipient_id
    if sort in ("created", "modified"):
        return getattr(recipient, sort)
    return recipient.attributes.get(sort) or ""
