"""`users/authenticated` and the read-only recipient list endpoints."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..state import ClientState, RecipientList, SandboxState
from .endpoint import authenticated, path_int, query_choice
from .paging import Paging
from .wire import ApiError, timestamp

LIST_SORTS = ("name", "created", "modified")


def routes(state: SandboxState) -> list[Route]:
    return [
        Route("/{clientId}/users/authenticated", authenticated(state, authenticated_user)),
        Route("/{clientId}/recipientlists", authenticated(state, select_lists)),
        Route("/{clientId}/recipientlists/{recipientListId}", authenticated(state, get_list)),
        Route("/{clientId}/recipientlists/{recipientListId}/fields", authenticated(state, list_fields)),
        Route("/{clientId}/recipientlists/{recipientListId}/attributeNames", authenticated(state, attribute_names)),
    ]


def recipient_list(request: Request, client: ClientState) -> RecipientList:
    """The list named by the path; 409 (Campaign's answer) when this client has no such list."""
    list_id = path_int(request, "recipientListId")
    found = client.lists.get(list_id)
    if found is None:
        raise ApiError(409, f"Recipient list {list_id} is not assigned to client {client.account.client_id}.")
    return found


async def authenticated_user(request: Request, client: ClientState) -> Response:
    account = client.account
    return JSONResponse({"id": account.client_id, "username": account.api_user, "email": account.api_user})


async def select_lists(request: Request, client: ClientState) -> Response:
    paging = Paging.from_request(request)
    sort = query_choice(request, "sort", LIST_SORTS, default="created")
    descending = query_choice(request, "direction", ("ASC", "DESC"), default="ASC") == "DESC"
    include_test = request.query_params.get("includeTestLists", "true").lower() != "false"
    with client.lock:
        lists = [lst for lst in client.lists.values() if include_test or not lst.test_list]
        lists.sort(key=lambda lst: (getattr(lst, sort), lst.list_id), reverse=descending)
        elements = [render_list(lst) for lst in paging.window(lists)]
    return JSONResponse(paging.envelope(request, elements, len(lists)))


async def get_list(request: Request, client: ClientState) -> Response:
    with client.lock:
        return JSONResponse(render_list(recipient_list(request, client)))


async def list_fields(request: Request, client: ClientState) -> Response:
    paging = Paging.from_request(request)
    with client.lock:
        fields = list(recipient_list(request, client).fields)
    elements = [
        {"internalName": f.internal_name, "displayName": f.internal_name, "type": f.type, "required": f.required}
        for f in paging.window(fields)
    ]
    return JSONResponse(paging.envelope(request, elements, len(fields)))


async def attribute_names(request: Request, client: ClientState) -> Response:
    with client.lock:
        return JSONResponse({"attributeNames": recipient_list(request, client).attribute_names})


def render_list(lst: RecipientList) -> dict[str, Any]:
    return {
        "id": lst.list_id,
        "name": lst.name,
        "description": lst.description,
        "recipients": len(lst.recipients),
        "mediaTypes": ["EMAIL"],
        "testList": lst.test_list,
        "forTransactionApi": False,
        "created": timestamp(lst.created),
        "modified": timestamp(lst.modified),
    }
