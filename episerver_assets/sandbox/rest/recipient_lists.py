"""`users/authenticated` and the read-only recipient list endpoints."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..state import ClientState, RecipientList, SandboxState
from .endpoint import arg, authenticated
from .paging import Paging
from .wire import ApiError, timestamp

_LIST = "/{clientId}/recipientlists/{recipientListId}"


def routes(state: SandboxState) -> list[Route]:
    return [
        Route("/{clientId}/users/authenticated", authenticated(state, "getAuthenticatedUser", authenticated_user)),
        Route("/{clientId}/recipientlists", authenticated(state, "selectRecipientLists", select_lists)),
        Route(_LIST, authenticated(state, "getRecipientList", get_list)),
        Route(_LIST + "/fields", authenticated(state, "getRecipientListFields", list_fields)),
        Route(_LIST + "/attributeNames", authenticated(state, "getRecipientListAttributeNames", attribute_names)),
    ]


def recipient_list(request: Request, client: ClientState, unknown_status: int = 404) -> RecipientList:
    """The list named by the path, else `unknown_status`: each operation answers what the vendor documents
    for a list the client does not own (409 "not assigned" for the list itself, 404 for its recipients)."""
    list_id = arg(request, "recipientListId")
    found = client.lists.get(list_id)
    if found is None:
        raise ApiError(unknown_status, f"Recipient list {list_id} is not assigned to client "
                                       f"{client.account.client_id}.")
    return found


async def authenticated_user(request: Request, client: ClientState) -> Response:
    account = client.account
    return JSONResponse({"id": account.client_id, "username": account.api_user, "email": account.api_user})


async def select_lists(request: Request, client: ClientState) -> Response:
    paging = Paging.from_request(request)
    sort, descending = arg(request, "sort"), arg(request, "direction") == "DESC"
    include_test = arg(request, "includeTestLists")
    with client.lock:
        lists = [lst for lst in client.lists.values() if include_test or not lst.test_list]
        lists.sort(key=lambda lst: (getattr(lst, sort), lst.list_id), reverse=descending)
        elements = [render_list(lst) for lst in paging.window(lists)]
    return JSONResponse(paging.envelope(request, elements, len(lists)))


async def get_list(request: Request, client: ClientState) -> Response:
    with client.lock:
        return JSONResponse(render_list(recipient_list(request, client, 409)))


async def list_fields(request: Request, client: ClientState) -> Response:
    paging = Paging.from_request(request)
    with client.lock:
        fields = list(recipient_list(request, client, 409).fields)
    elements = [
        {"internalName": f.internal_name, "displayName": f.internal_name, "type": f.type, "required": f.required}
        for f in paging.window(fields)
    ]
    return JSONResponse(paging.envelope(request, elements, len(fields)))


async def attribute_names(request: Request, client: ClientState) -> Response:
    with client.lock:
        return JSONResponse({"attributeNames": recipient_list(request, client, 409).attribute_names})


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
