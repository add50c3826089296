"""RpcSession, RpcRecipientList and RpcUnsubscribe, and the table of every implemented operation
(RpcRecipient, RpcBlacklist and RpcMailing live in modules of their own)."""

from __future__ import annotations

from . import blacklist, mailings, recipients
from .faults import invalid_credentials
from .operations import CallContext, Operation, operation
from .recipients import require_list

# --- RpcSession -------------------------------------------------------------------------------


def login(ctx: CallContext, mandator_id, user, password) -> str:
    """The mandator id is the Campaign client id."""
    if user is None or password is None or ctx.state.authenticate(mandator_id, user, password) is None:
        raise invalid_credentials()
    return ctx.sessions.open(mandator_id, user).session_id


def logout(ctx: CallContext, session_id) -> None:
    """Closing an unknown or expired session succeeds: the caller wanted it gone and it is."""
    ctx.sessions.close(session_id)


# --- RpcRecipientList -------------------------------------------------------------------------


def get_all_ids(ctx: CallContext) -> list[int]:
    client = ctx.client
    with client.lock:
        return sorted(client.lists)


# The live service appends the system attributes of every list after its fields, named in the
# requested locale; the German names are recorded (recipient_list_attribute_names), the English ones
# are the sandbox's translation. Any locale other than German gets English.
SYSTEM_ATTRIBUTES = {
    "de": ("Erstellt am", "Geändert am", "Opt-in-Quelle", "Opt-in-Datum"),
    "en": ("Created on", "Modified on", "Opt-in source", "Opt-in date"),
}


def get_attribute_names(ctx: CallContext, list_id, locale) -> list[str]:
    """The list's fields (not translated), then the system attributes in the locale's language."""
    language = "de" if (locale or "").lower().replace("-", "_").split("_")[0] == "de" else "en"
    client = ctx.client
    with client.lock:
        return [*require_list(client, list_id).attribute_names, *SYSTEM_ATTRIBUTES[language]]


def get_name(ctx: CallContext, list_id) -> str:
    client = ctx.client
    with client.lock:
        return require_list(client, list_id).name


def get_description(ctx: CallContext, list_id) -> str:
    client = ctx.client
    with client.lock:
        return require_list(client, list_id).description


def get_list_count(ctx: CallContext, include_test_lists) -> int:
    """All lists, or without `includeTestLists` only those that are not test lists."""
    client = ctx.client
    with client.lock:
        return sum(1 for lst in client.lists.values() if include_test_lists or not lst.test_list)


# --- RpcUnsubscribe ---------------------------------------------------------------------------
# ClientState keys unsubscribes by the lower-cased address and offers no removal method, so removal
# edits `unsubscribes` directly under the client's lock.


def unsubscribe_add(ctx: CallContext, list_id, recipient_id) -> None:
    """List id 0 is a client-wide unsubscribe; adding an address twice is not an error."""
    unsubscribe_add_all(ctx, list_id, [recipient_id])


def unsubscribe_add_all(ctx: CallContext, list_id, recipient_ids) -> None:
    """Any other list id must name a list of the client, else nothing is recorded."""
    client = ctx.client
    with client.lock:
        if list_id:
            require_list(client, list_id)
        for recipient_id in recipient_ids:
            client.unsubscribe(recipient_id, list_id or None)


def unsubscribe_contains(ctx: CallContext, recipient_id) -> bool:
    return unsubscribe_contains_all(ctx, [recipient_id])[0]


def unsubscribe_contains_all(ctx: CallContext, recipient_ids) -> list[bool]:
    client = ctx.client
    with client.lock:
        return [recipient_id.lower() in client.unsubscribes for recipient_id in recipient_ids]


def unsubscribe_remove(ctx: CallContext, recipient_id) -> None:
    unsubscribe_remove_all(ctx, [recipient_id])


def unsubscribe_remove_all(ctx: CallContext, recipient_ids) -> None:
    client = ctx.client
    with client.lock:
        for recipient_id in recipient_ids:
            client.unsubscribes.pop(recipient_id.lower(), None)


def unsubscribe_count(ctx: CallContext) -> int:
    client = ctx.client
    with client.lock:
        return len(client.unsubscribes)


_SESSION = [
    operation(
        "login", "mandatorId:long user|username:string password:string", "string", login, needs_session=False
    ),
    operation("logout", "sessionId:string", None, logout, needs_session=False),
]
_RECIPIENT_LIST = [
    operation("getAllIds", "sessionId:string", "long[]", get_all_ids),
    operation(
        "getAttributeNames", "sessionId:string recipientListId:long locale:string", "string[]", get_attribute_names
    ),
    operation("getName", "sessionId:string recipientListId:long", "string", get_name),
    operation("getDescription", "sessionId:string recipientListId:long", "string", get_description),
    operation("getCount", "sessionId:string includeTestLists:boolean", "int", get_list_count),
]
_UNSUBSCRIBE = [
    operation("add", "sessionId:string recipientListId:long recipientId:string", None, unsubscribe_add),
    operation("addAll", "sessionId:string recipientListId:long recipientIds:string[]", None, unsubscribe_add_all),
    operation("contains", "sessionId:string recipientId:string", "boolean", unsubscribe_contains),
    operation("containsAll", "sessionId:string recipientIds:string[]", "boolean[]", unsubscribe_contains_all),
    operation("remove", "sessionId:string recipientId:string", None, unsubscribe_remove),
    operation("removeAll", "sessionId:string recipientIds:string[]", None, unsubscribe_remove_all),
    operation("getCount", "sessionId:string", "int", unsubscribe_count),
]

SERVICES: dict[str, dict[str, Operation]] = {
    service: {op.name: op for op in operations}
    for service, operations in {
        "RpcSession": _SESSION,
        "RpcRecipient": recipients.OPERATIONS,
        "RpcRecipientList": _RECIPIENT_LIST,
        "RpcUnsubscribe": _UNSUBSCRIBE,
        "RpcBlacklist": blacklist.OPERATIONS,
        "RpcMailing": mailings.OPERATIONS,
    }.items()
}
"""Implemented operations by service. Services and operations that only have a WSDL answer with a fault."""
