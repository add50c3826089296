"""Is an address suppressed? Exact addresses by set lookup, blocklist patterns by one compiled regex.

Matching runs in Python over the selection rather than in SQL: a LIKE translation would need
escaping rules that differ between DuckDB and PostgreSQL (`_`/`%` in addresses, backslash escapes
in Campaign's patterns), while one regex alternation of the few patterns costs a single scan per
address. Both sides are lower-cased, so matching ignores case as Campaign does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WILDCARDS = {"*": ".*", "?": "."}


def pattern_regex(pattern: str) -> str:
    """Campaign's blocklist syntax: `*` any characters, `?` one character, a backslash escapes either."""
    parts = re.split(r"(\\[*?]|[*?])", pattern.lower())
    return "".join(_WILDCARDS.get(part) or re.escape(part.removeprefix("\\")) for part in parts)


class SuppressionMatcher:
    def __init__(self, addresses: Iterable[str], patterns: Iterable[str]):
        self._addresses = {a.strip().lower() for a in addresses}
        regexes = sorted({pattern_regex(p.strip()) for p in patterns})
        self._patterns = re.compile("|".join(f"(?:{r})" for r in regexes)) if regexes else None

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, str):
            return False
        address = address.strip().lower()
        if address in self._addresses:
            return True
        return self._patterns is not None and self._patterns.fullmatch(address) is not None
