"""Recipient endpoints: select/count (at most 10 in flight per client), add, update, delete.

Unknown attribute names are refused: 400 for single calls, `failedIds` for bulk calls. A list the
client does not own is 404 (what the vendor documents for get and delete of a recipient; 409 would
mean "already exists or blocked" to an add-then-update client), except for the single update, where
the vendor documents 409. Modify-by-target-group is not served: no REST call creates target groups.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..state import AddOutcome, ClientState, Recipient, RecipientList, SandboxState, TooManyRecipientQueries
from .endpoint import Handler, arg, authenticated, form_attributes
from .paging import Paging
from .recipient_lists import recipient_list
from .recipient_values import json_attributes, render_recipient
from .unserved import literal_guard
from .wire import ApiError, invalid_parameter

QueryHook = Callable[[], Awaitable[None]]

_REFUSED = {
    AddOutcome.UNSUBSCRIBED: "The recipient has unsubscribed.",
    AddOutcome.BLOCKLISTED: "The recipient is blacklisted.",
    AddOutcome.TOO_MANY_BOUNCES: "The recipient has exceeded the bounce limit.",
    AddOutcome.ALREADY_IN_LIST: "The recipient already exists in the recipient list.",
}


def routes(state: SandboxState, query_hook: QueryHook | None) -> list[Route]:
    async def select(request: Request, client: ClientState) -> Response:
        return await _limited(client, query_hook, select_recipients, request)

    async def count(request: Request, client: ClientState) -> Response:
        return await _limited(client, query_hook, count_recipients, request)

    base = "/{clientId}/recipients/{recipientListId}"
    return [
        Route(base, authenticated(state, "selectRecipients", select), methods=["GET"]),
        Route(base, authenticated(state, "addRecipient", add_recipient), methods=["POST"]),
        Route(base, authenticated(state, "addRecipients", add_recipients), methods=["PUT"]),
        Route(base, authenticated(state, "deleteRecipients", delete_recipients), methods=["DELETE"]),
        Route(base + "/count", authenticated(state, "countRecipients", count), methods=["GET"]),
        Route(base + "/modify", authenticated(state, "modifyRecipientsAttributes", modify_recipients), methods=["PUT"]),
        literal_guard(base + "/count"),
        literal_guard(base + "/modify"),
        Route(base + "/{recipientId}", authenticated(state, "getRecipient", get_recipient), methods=["GET"]),
        Route(base + "/{recipientId}", authenticated(state, "modifyRecipientAttributes", update_recipient),
              methods=["POST"]),
        Route(base + "/{recipientId}", authenticated(state, "deleteRecipient", delete_recipient), methods=["DELETE"]),
    ]


async def _limited(client: ClientState, hook: QueryHook | None, handler: Handler, request: Request) -> Response:
    """Run a select/count inside one of the client's query slots; 429 when all are taken."""
    try:
        with client.recipient_query():
            if hook is not None:
                await hook()
            return await handler(request, client)
    except TooManyRecipientQueries:
        raise ApiError(429, "Too many requests are used at the same time to retrieve recipients.") from None


async def select_recipients(request: Request, client: ClientState) -> Response:
    paging = Paging.from_request(request)
    lst = recipient_list(request, client)
    names = _attribute_names(lst, arg(request, "attributeNames") or [])
    sort = arg(request, "sort")
    if sort not in ("id", "created", "modified", *lst.attribute_names):
        raise invalid_parameter("sort", f"unknown sort criterion {sort!r}")
    descending = arg(request, "direction") == "DESC"
    group = _target_group(request, client)
    page, total = client.select_recipients(lst.list_id, paging.offset, paging.limit, sort, descending, group)
    elements = [render_recipient(r, lst, names) for r in page]
    return JSONResponse(paging.envelope(request, elements, total))


async def count_recipients(request: Request, client: ClientState) -> Response:
    lst = recipient_list(request, client)
    return JSONResponse({"count": client.count_recipients(lst.list_id, _target_group(request, client))})


async def get_recipient(request: Request, client: ClientState) -> Response:
    lst = recipient_list(request, client)
    names = _attribute_names(lst, arg(request, "attributeNames") or [])
    return JSONResponse(render_recipient(_existing(client, lst, arg(request, "recipientId")), lst, names))


async def add_recipient(request: Request, client: ClientState) -> Response:
    lst = recipient_list(request, client)
    recipient_id = arg(request, "recipientId").strip()
    if not recipient_id:
        raise invalid_parameter("recipientId", "is required")
    attributes = _known_attributes(lst, form_attributes(await request.form()))
    if arg(request, "address"):
        attributes["email"] = arg(request, "address")
    outcome = client.add_recipient(lst.list_id, recipient_id, attributes)
    if outcome == AddOutcome.INVALID_ADDRESS:
        raise invalid_parameter("address", f"{recipient_id!r} has no valid e-mail address")
    if outcome != AddOutcome.ADDED:
        raise ApiError(409, _REFUSED[outcome])
    recipient = _existing(client, lst, recipient_id)
    return JSONResponse(render_recipient(recipient, lst, list(attributes)), status_code=201)


async def add_recipients(request: Request, client: ClientState) -> Response:
    lst = recipient_list(request, client)
    added, failed = 0, []
    for item in request.state.json.get("recipients") or []:
        recipient_id, attributes = str(item.get("id") or ""), json_attributes(item)
        if item.get("address"):
            attributes["email"] = str(item["address"])
        acceptable = recipient_id and _all_known(lst, attributes)
        if acceptable and client.add_recipient(lst.list_id, recipient_id, attributes) == AddOutcome.ADDED:
            added += 1
        else:
            failed.append(recipient_id)
    return JSONResponse({"count": added, "failedIds": failed})


async def modify_recipients(request: Request, client: ClientState) -> Response:
    lst = recipient_list(request, client)
    body = request.state.json
    mode = body.get("updateMode") or "set"
    updated, failed = 0, []
    for item in body.get("recipients") or []:
        recipient_id, attributes = str(item.get("id") or ""), json_attributes(item)
        if _all_known(lst, attributes) and client.update_recipient(lst.list_id, recipient_id, attributes, mode):
            updated += 1
        else:
            failed.append(recipient_id)
    return JSONResponse({"count": updated, "failedIds": failed})


async def update_recipient(request: Request, client: ClientState) -> Response:
    lst = recipient_list(request, client, 409)  # the vendor documents 409 for a list of another client
    attributes = _known_attributes(lst, form_attributes(await request.form()))
    recipient_id, mode = arg(request, "recipientId"), arg(request, "mode") or "set"
    if not client.update_recipient(lst.list_id, recipient_id, attributes, mode):
        raise ApiError(404, f"Recipient {recipient_id!r} is not in recipient list {lst.list_id}.")
    return JSONResponse(render_recipient(_existing(client, lst, recipient_id), lst, list(attributes)))


async def delete_recipient(request: Request, client: ClientState) -> Response:
    lst = recipient_list(request, client)
    recipient_id = arg(request, "recipientId")
    if not client.delete_recipient(lst.list_id, recipient_id):
        raise ApiError(404, f"Recipient {recipient_id!r} is not in recipient list {lst.list_id}.")
    return Response(status_code=204)


async def delete_recipients(request: Request, client: ClientState) -> Response:
    """By ids, by removal type, or, with neither parameter, every recipient of the list (as Campaign)."""
    lst = recipient_list(request, client)
    ids, removal, media = arg(request, "recipientIds"), arg(request, "removalType"), arg(request, "mediaType")
    if ids is not None and removal is not None:
        raise ApiError(400, 'Provide either "recipientIds" or "removalType", not both.')
    if media is not None and removal is None:
        raise invalid_parameter("mediaType", 'can only be used with "removalType"')
    if ids is not None:
        client.delete_recipients(lst.list_id, ids)
    elif removal is not None:
        if media in (None, "EMAIL"):  # the sandbox's lists hold e-mail recipients only
            client.delete_suppressed_recipients(lst.list_id, removal)
    else:
        client.clear_list(lst.list_id)
    return Response(status_code=204)


def _attribute_names(lst: RecipientList, names: list[str]) -> list[str]:
    unknown = [n for n in names if not _all_known(lst, {n: None})]
    if unknown:
        raise invalid_parameter("attributeNames", f"unknown attributes {', '.join(unknown)}")
    return names


def _all_known(lst: RecipientList, attributes: dict[str, Any]) -> bool:
    # The state keeps every recipient's address as "email", whether or not the list declares it.
    return set(attributes) <= {*lst.attribute_names, "email"}


def _known_attributes(lst: RecipientList, attributes: dict[str, str]) -> dict[str, str | None]:
    _attribute_names(lst, list(attributes))
    return dict(attributes)


def _target_group(request: Request, client: ClientState) -> int | None:
    """The `targetGroup` filter; 404 for an unknown group, as Campaign answers for other unknown ids."""
    group_id = arg(request, "targetGroup")
    if group_id is not None and group_id not in client.target_groups:
        raise ApiError(404, f"Target group {group_id} was not found.")
    return group_id


def _existing(client: ClientState, lst: RecipientList, recipient_id: str) -> Recipient:
    recipient = client.get_recipient(lst.list_id, recipient_id)
    if recipient is None:
        raise ApiError(404, f"Recipient {recipient_id!r} is not in recipient list {lst.list_id}.")
    return recipient
