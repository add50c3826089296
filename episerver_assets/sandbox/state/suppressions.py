"""Suppressions of one client: unsubscribes, the blocklist and bounces, as Campaign applies them."""

from __future__ import annotations

import collections
import functools
import itertools
import re
from collections.abc import Iterable

from .guarded import GuardedClient
from .records import ClientAccount, now

BOUNCE_THRESHOLD = 3
"""Hard bounces after which Campaign refuses to add an address again."""


class Suppressions(GuardedClient):
    def __init__(self, account: ClientAccount):
        super().__init__(account)
        self.unsubscribes: dict[str, dict] = {}
        self.blocklist: dict[str, dict] = {}
        self.bounces: list[dict] = []
        # Indexes kept beside the records: every add checks suppressions, so no scan per add.
        self._hard_bounces: collections.Counter[str] = collections.Counter()
        self._wildcard_patterns: dict[str, re.Pattern[str]] = {}

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

    def suppression(self, address: str) -> str | None:
        """Why Campaign would neither add nor mail the address: "unsubscribed", "blocklisted" or
        "bounced" (too many hard bounces), checked in that order; None when nothing stops it."""
        with self.lock:
            if self.is_unsubscribed(address):
                return "unsubscribed"
            if self.is_blocklisted(address):
                return "blocklisted"
            if self.bounces_too_often(address):
                return "bounced"
            return None

    def is_unsubscribed(self, address: str) -> bool:
        with self.lock:
            return address.lower() in self.unsubscribes

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

    def remove_blocklist_entry(self, pattern: str) -> bool:
        """Delete the entry with this pattern (any case); False when there is none."""
        key = pattern.lower()
        with self.lock:
            self._wildcard_patterns.pop(key, None)
            return self.blocklist.pop(key, None) is not None

    def blocklist_entries(self) -> list[dict]:
        """Copies of every entry, oldest first."""
        with self.lock:
            return [dict(e) for e in self.blocklist.values()]

    def first_matching_blocklist_entry(self, address: str) -> dict | None:
        """A copy of the entry that blocks the address: the exact one, else the oldest matching pattern."""
        address = address.lower()
        with self.lock:
            if address in self.blocklist:
                return dict(self.blocklist[address])
            matching = (k for k in self.blocklist if k in self._wildcard_patterns)
            key = next((k for k in matching if self._wildcard_patterns[k].fullmatch(address)), None)
            return dict(self.blocklist[key]) if key is not None else None

    def is_blocklisted(self, address: str) -> bool:
        """Match as Campaign does: `*` any characters, `?` one character, backslash escapes them."""
        address = address.lower()
        with self.lock:
            if address in self.blocklist:
                return True
            return any(regex.fullmatch(address) for regex in self._wildcard_patterns.values())

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

    def hard_bounce_count(self, address: str) -> int:
        address = address.lower()
        with self.lock:
            return self._hard_bounces[address]

    def bounces_too_often(self, address: str) -> bool:
        return self.hard_bounce_count(address) >= BOUNCE_THRESHOLD

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

    def knows_mailing(self, mailing_id: int) -> bool:
        """Whether a bounce or unsubscribe refers to the mailing (the sandbox keeps no mailings)."""
        with self.lock:
            records = itertools.chain(self.bounces, self.unsubscribes.values())
            return any(record.get("mailingId") == mailing_id for record in records)


@functools.cache
def _blocklist_regex(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\\[*?]|[*?])", pattern.lower())
    wildcards = {"*": ".*", "?": "."}
    return re.compile("".join(wildcards.get(p) or re.escape(p.removeprefix("\\")) for p in parts))
