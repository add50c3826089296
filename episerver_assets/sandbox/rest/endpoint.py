"""Authentication and request parsing for the REST handlers, so that handlers stay thin.

Every Campaign endpoint is `/{clientId}/...` with HTTP Basic credentials of that client; anything
else is 401 with Campaign's error body. Parameters and bodies are checked against the operation's
declaration (`operations`) before the handler runs; handlers read the typed values with `arg` and
raise `ApiError` for 4xx answers.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from ..state import ClientState, SandboxState
from .operations import OPERATIONS
from .validation import validate
from .wire import ApiError, api_error_response, error_response

Handler = Callable[[Request, ClientState], Awaitable[Response]]

DATA_PREFIX = "data."
"""Form fields `data.<attribute>` carry recipient attribute values."""


def authenticated(
    state: SandboxState, operation_id: str, handler: Handler
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap the handler of one vendor operation: check Basic credentials against the path's client, then
    the parameters and body against the operation's declaration; turn ApiError into Campaign's body."""
    operation = OPERATIONS[operation_id]

    async def endpoint(request: Request) -> Response:
        client = _authenticate(state, request)
        if client is None:
            return error_response(401, "Authentication failed: wrong client id, user name or password.")
        try:
            await validate(request, operation)
            return await handler(request, client)
        except ApiError as error:
            return api_error_response(error)

    endpoint.__name__ = handler.__name__
    endpoint.operation_id = operation_id  # type: ignore[attr-defined]
    return endpoint


def _authenticate(state: SandboxState, request: Request) -> ClientState | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    client_id = request.path_params.get("clientId", "")
    if scheme.lower() != "basic" or not client_id.isdigit():
        return None
    try:
        user, separator, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return state.authenticate(int(client_id), user, password) if separator else None


def arg(request: Request, name: str) -> Any:
    """The validated, typed value of a declared parameter (None or the document's default when absent)."""
    return request.state.params[name]


def form_attributes(form: FormData) -> dict[str, str]:
    """The `data.<attribute>` fields of a form, by attribute name."""
    return {key[len(DATA_PREFIX) :]: str(value) for key, value in form.items() if key.startswith(DATA_PREFIX)}
