"""Unsubscribes, blocklist entries and bounce responses: what stops an address from being mailed."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..state import ClientState, SandboxState
from .endpoint import arg, authenticated
from .paging import Paging
from .wire import ApiError, invalid_parameter, timestamp, without_nulls

MAX_UNSUBSCRIBES_PER_CALL = 5000


def routes(state: SandboxState) -> list[Route]:
    return [
        Route("/{clientId}/unsubscribes", authenticated(state, "selectUnsubscribes", select_unsubscribes),
              methods=["GET"]),
        Route("/{clientId}/unsubscribes", authenticated(state, "createUnsubscribes", add_unsubscribes),
              methods=["POST"]),
        Route("/{clientId}/blacklistentries", authenticated(state, "findAllBlacklistEntries", select_blocklist),
              methods=["GET"]),
        Route("/{clientId}/blacklistentries", authenticated(state, "createBlacklistEntry", add_blocklist_entry),
              methods=["POST"]),
        Route("/{clientId}/responses", authenticated(state, "selectResponses", select_responses), methods=["GET"]),
    ]


async def select_unsubscribes(request: Request, client: ClientState) -> Response:
    paging = Paging.from_request(request)
    sort, descending = arg(request, "sort"), arg(request, "direction") == "DESC"
    wanted = {r.lower() for r in arg(request, "recipientIds") or []}
    list_id, media_type = arg(request, "recipientListId"), arg(request, "mediaType")
    with client.lock:
        entries = [
            dict(e)
            for e in client.unsubscribes.values()
            if (not wanted or e["recipientId"].lower() in wanted)
            and (list_id is None or e.get("recipientListId") == list_id)
            and (media_type is None or e.get("mediaType") == media_type)
        ]
    key = "recipientId" if sort == "id" else sort
    entries.sort(key=lambda e: (_present_first(e.get(key)), e["recipientId"]), reverse=descending)
    elements = [_render_unsubscribe(e) for e in paging.window(entries)]
    return JSONResponse(paging.envelope(request, elements, len(entries)))


async def add_unsubscribes(request: Request, client: ClientState) -> Response:
    recipient_ids, mail_ids = arg(request, "recipientIds") or [], arg(request, "mailIds") or []
    if not recipient_ids and not mail_ids:
        raise ApiError(400, 'Provide "recipientIds" or "mailIds".')
    if len(recipient_ids) + len(mail_ids) > MAX_UNSUBSCRIBES_PER_CALL:
        raise ApiError(400, f"At most {MAX_UNSUBSCRIBES_PER_CALL} ids per call.")
    list_id, media_type = arg(request, "recipientListId"), arg(request, "mediaType")
    done = {r: client.unsubscribe(r, list_id, media_type=media_type) for r in recipient_ids}
    # The sandbox sends no mails, so no mail id can be resolved to a recipient.
    return JSONResponse(
        {
            "successfulIds": [r for r, ok in done.items() if ok],
            "unsuccessfulIds": [r for r, ok in done.items() if not ok] + mail_ids,
        }
    )


async def select_blocklist(request: Request, client: ClientState) -> Response:
    paging = Paging.from_request(request)
    sort, descending = arg(request, "sort"), arg(request, "direction") == "DESC"
    patterns = {p.lower() for p in arg(request, "pattern") or []}
    reason = arg(request, "reason")
    with client.lock:
        entries = [
            {"pattern": key, **e}
            for key, e in client.blocklist.items()
            if (not patterns or key in patterns) and (reason is None or e.get("reason") == reason)
        ]
    entries.sort(key=lambda e: (_present_first(e.get(sort)), e["pattern"]), reverse=descending)
    elements = [_render_blocklist_entry(client, e) for e in paging.window(entries)]
    return JSONResponse(paging.envelope(request, elements, len(entries)))


async def add_blocklist_entry(request: Request, client: ClientState) -> Response:
    pattern = arg(request, "entry").strip()
    if not pattern:
        raise invalid_parameter("entry", "is required")
    entry = client.add_blocklist_entry(pattern, arg(request, "reason") or None)
    return JSONResponse(_render_blocklist_entry(client, entry), status_code=201)


async def select_responses(request: Request, client: ClientState) -> Response:
    """Bounces of one category for some recipients or one mailing; Campaign requires one of the two."""
    paging = Paging.from_request(request)  # the spec names no offset, but `next` links carry one
    category, recipient_ids, mailing_id = arg(request, "category"), arg(request, "recipientIds"), arg(
        request, "mailingId")
    if recipient_ids is None and mailing_id is None:
        raise ApiError(400, 'Provide "category" and "mailingId" or "recipientIds".')
    if mailing_id is not None and not client.knows_mailing(mailing_id):
        raise ApiError(404, f"Mailing {mailing_id} was not found.")
    if recipient_ids is not None and not any(client.knows_recipient(r) for r in recipient_ids):
        raise ApiError(404, "None of the requested recipients was found.")
    bounces = client.select_bounces(category, recipient_ids, mailing_id)
    elements = [_render_response(b) for b in paging.window(bounces)]
    return JSONResponse(paging.envelope(request, elements, len(bounces)))


def _present_first(value: Any) -> tuple[bool, Any]:
    """Sort key: values of one column compare with each other; missing values go last."""
    return (value is None, value if value is not None else 0)


def _render_unsubscribe(entry: dict[str, Any]) -> dict[str, Any]:
    return without_nulls(
        {
            "recipientId": entry["recipientId"],
            "recipientListId": entry.get("recipientListId"),
            "mailingId": entry.get("mailingId"),
            "reason": entry.get("reason"),
            "mediaType": entry.get("mediaType") or "GLOBAL",
            "created": timestamp(entry.get("created")),
        }
    )


def _render_blocklist_entry(client: ClientState, entry: dict[str, Any]) -> dict[str, Any]:
    return without_nulls(
        {
            "mailingGroupId": client.account.client_id,
            "pattern": entry["pattern"],
            "reason": entry.get("reason"),
            "created": timestamp(entry.get("created")),
            "modified": timestamp(entry.get("modified") or entry.get("created")),
        }
    )


def _render_response(bounce: dict[str, Any]) -> dict[str, Any]:
    return without_nulls(
        {
            "mailId": bounce.get("mailId"),
            "mailingId": bounce.get("mailingId"),
            "recipientListId": bounce.get("recipientListId"),
            "recipientId": bounce["recipientId"],
            "category": bounce["category"],
            "subject": bounce.get("subject"),
            "ruleName": bounce.get("ruleName"),
            "mediaType": bounce.get("mediaType") or "EMAIL",
            "created": timestamp(bounce.get("created")),
        }
    )
