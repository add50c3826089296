"""RpcBlacklist: the client's blocklist, the same entries REST `/blacklistentries` shows.

An entry is a pattern: an address, or a wildcard pattern (`*` any characters, `?` one, backslash
escapes them) such as `*@example.com`. Entries are compared without case. `contains` asks about an
entry, `isBlacklisted` about an address that an entry may match.
"""

from __future__ import annotations

from .faults import service_error
from .operations import CallContext, operation


def _require_pattern(pattern: str | None) -> str:
    if not pattern or not pattern.strip():
        raise service_error("Blacklist entry must not be empty.")
    return pattern.strip()


def add(ctx: CallContext, pattern, reason) -> None:
    """Adding a known entry again only replaces its reason, as REST does."""
    ctx.client.add_blocklist_entry(_require_pattern(pattern), reason or None)


def add_all(ctx: CallContext, patterns, reasons) -> None:
    if len(patterns) != len(reasons):
        raise service_error(
            f"Array lengths differ: patterns has {len(patterns)}, reasons has {len(reasons)} elements."
        )
    checked = [_require_pattern(p) for p in patterns]
    client = ctx.client
    with client.lock:
        for pattern, reason in zip(checked, reasons, strict=True):
            client.add_blocklist_entry(pattern, reason or None)


def contains(ctx: CallContext, pattern) -> bool:
    return contains_all(ctx, [pattern])[0]


def contains_all(ctx: CallContext, patterns) -> list[bool]:
    client = ctx.client
    with client.lock:
        return [(p or "").strip().lower() in client.blocklist for p in patterns]


def remove(ctx: CallContext, pattern) -> None:
    """Removing an entry that does not exist is not an error (like RpcUnsubscribe.remove)."""
    ctx.client.remove_blocklist_entry(pattern or "")


def remove_all(ctx: CallContext, patterns) -> None:
    client = ctx.client
    with client.lock:
        for pattern in patterns:
            client.remove_blocklist_entry(pattern or "")


def get_all_entries(ctx: CallContext) -> list[str]:
    return [entry["pattern"] for entry in ctx.client.blocklist_entries()]


def get_count(ctx: CallContext) -> int:
    client = ctx.client
    with client.lock:
        return len(client.blocklist)


def is_blacklisted(ctx: CallContext, address) -> bool:
    return ctx.client.is_blocklisted(address or "")


def are_blacklisted(ctx: CallContext, addresses) -> list[bool]:
    client = ctx.client
    with client.lock:
        return [client.is_blocklisted(address or "") for address in addresses]


def get_reason(ctx: CallContext, pattern) -> str | None:
    """The entry's reason, nil when it has none; an unknown entry is an error."""
    client = ctx.client
    with client.lock:
        entry = client.blocklist.get((pattern or "").strip().lower())
        if entry is None:
            raise service_error(f"Blacklist entry '{pattern}' does not exist.")
        return entry.get("reason")


def get_first_matching_entry(ctx: CallContext, address) -> str | None:
    """The entry that blocks the address, nil when none does."""
    entry = ctx.client.first_matching_blocklist_entry(address or "")
    return entry["pattern"] if entry else None


OPERATIONS = [
    operation("add", "sessionId:string pattern|entry:string reason:string", None, add),
    operation("addAll", "sessionId:string patterns|entries:string[] reasons:string[]", None, add_all),
    operation("contains", "sessionId:string pattern|entry:string", "boolean", contains),
    operation("containsAll", "sessionId:string patterns|entries:string[]", "boolean[]", contains_all),
    operation("remove", "sessionId:string pattern|entry:string", None, remove),
    operation("removeAll", "sessionId:string patterns|entries:string[]", None, remove_all),
    operation("getAllEntries", "sessionId:string", "string[]", get_all_entries),
    operation("getCount", "sessionId:string", "int", get_count),
    operation("isBlacklisted", "sessionId:string email|address:string", "boolean", is_blacklisted),
    operation("areBlacklisted", "sessionId:string emails|addresses:string[]", "boolean[]", are_blacklisted),
    operation("getReason", "sessionId:string pattern|entry:string", "string", get_reason),
    operation("getFirstMatchingEntry", "sessionId:string email|address:string", "string", get_first_matching_entry),
]
