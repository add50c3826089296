"""Authentication and request parsing for the REST handlers, so that handlers stay thin.

Every Campaign endpoint is `/{clientId}/...` with HTTP Basic credentials of that client; anything
else is 401 with Campaign's error body. Handlers raise `ApiError` for 4xx answers.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from ..state import ClientState, SandboxState
from .wire import ApiError, api_error_response, error_response, invalid_parameter

Handler = Callable[[Request, ClientState], Awaitable[Response]]

DATA_PREFIX = "data."
"""Form fields `data.<attribute>` carry recipient attribute values."""


def authenticated(state: SandboxState, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler: check Basic credentials against the path's client, turn ApiError into a body."""

    async def endpoint(request: Request) -> Response:
        client = _authenticate(state, request)
        if client is None:
            return error_response(401, "Authentication failed: wrong client id, user name or password.")
        try:
            return await handler(request, client)
        except ApiError as error:
            return api_error_response(error)

    endpoint.__name__ = handler.__name__
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


def path_int(request: Request, name: str) -> int:
    value = request.path_params[name]
    if not value.isdigit():
        raise invalid_parameter(name, f"{value!r} is not a number")
    return int(value)


def query_int(request: Request, name: str, default: int | None = None) -> int | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise invalid_parameter(name, f"{value!r} is not a number") from None


def query_choice(request: Request, name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
    value = request.query_params.get(name, default)
    if value is not None and value not in choices:
        raise invalid_parameter(name, f"{value!r} is not one of {', '.join(choices)}")
    return value


def query_list(request: Request, name: str) -> list[str] | None:
    """A list parameter, sent comma-separated or repeated (the vendor spec uses both); None if absent."""
    return _split(request.query_params.getlist(name)) if name in request.query_params else None


def form_list(form: FormData, name: str) -> list[str]:
    return _split(form.getlist(name))


def _split(values: list[str]) -> list[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def form_attributes(form: FormData) -> dict[str, str]:
    """The `data.<attribute>` fields of a form, by attribute name."""
    return {key[len(DATA_PREFIX) :]: str(value) for key, value in form.items() if key.startswith(DATA_PREFIX)}


async def json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ApiError(400, f"The request body is not valid JSON: {error}") from None
