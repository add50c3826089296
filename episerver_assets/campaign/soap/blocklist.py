"""RpcBlacklist through the client's session: the Campaign blocklist, addresses and wildcard patterns.

An entry is an address or a pattern (`*` any characters, `?` one, e.g. `*@example.com`); Campaign
compares entries without case. `contains` asks whether an entry exists, `is_blocklisted` whether an
address is blocked by any entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..errors import CampaignError
from .encoding import string_array
from .session import SessionKeeper

_SERVICE = "RpcBlacklist"


class SoapBlocklist:
    """The blocklist operations; `CampaignSoapClient.blocklist` hands one out."""

    def __init__(self, session: SessionKeeper):
        self._session = session

    def add(self, pattern: str, reason: str | None = None) -> None:
        """Add an entry (adding it again is harmless, so the call is repeated after a lost answer)."""
        self._session.call(_SERVICE, "add", pattern, reason, idempotent=True)

    def add_all(self, entries: Mapping[str, str | None]) -> None:
        """Add entries given as pattern -> reason in one call."""
        patterns = list(entries)
        self._session.call(
            _SERVICE, "addAll", string_array(patterns), string_array(entries[p] for p in patterns), idempotent=True
        )

    def contains(self, pattern: str) -> bool:
        return bool(self._session.call(_SERVICE, "contains", pattern, idempotent=True))

    def contains_all(self, patterns: Sequence[str]) -> list[bool]:
        return self._booleans("containsAll", patterns)

    def is_blocklisted(self, address: str) -> bool:
        return bool(self._session.call(_SERVICE, "isBlacklisted", address, idempotent=True))

    def are_blocklisted(self, addresses: Sequence[str]) -> list[bool]:
        return self._booleans("areBlacklisted", addresses)

    def first_matching_entry(self, address: str) -> str | None:
        """The entry that blocks `address`, None when no entry does."""
        return self._session.call(_SERVICE, "getFirstMatchingEntry", address, idempotent=True)

    def reason(self, pattern: str) -> str | None:
        return self._session.call(_SERVICE, "getReason", pattern, idempotent=True)

    def entries(self) -> list[str]:
        return [str(p) for p in self._session.call(_SERVICE, "getAllEntries", idempotent=True) or []]

    def count(self) -> int:
        return int(self._session.call(_SERVICE, "getCount", idempotent=True) or 0)

    def remove(self, pattern: str) -> None:
        self._session.call(_SERVICE, "remove", pattern, idempotent=True)

    def remove_all(self, patterns: Sequence[str]) -> None:
        self._session.call(_SERVICE, "removeAll", string_array(patterns), idempotent=True)

    def _booleans(self, operation: str, values: Sequence[str]) -> list[bool]:
        answers = self._session.call(_SERVICE, operation, string_array(values), idempotent=True) or []
        if len(answers) != len(values):
            raise CampaignError(f"{operation} answered {len(answers)} values for {len(values)} questions")
        return [bool(a) for a in answers]
