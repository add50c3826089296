"""Webhook endpoints: create, list (a plain array), update, activate, deactivate, delete, verify.

`authentication` arrives as a JSON string: `{"type":"none"}`,
`{"type":"basicAuth","userName":..,"password":..}` or `{"type":"keyAuth","key":..,"passphrase":..}`
(the deprecated `basicAuthUsername`/`basicAuthPassword` fields still work). Answers show the
authentication type and user or header name, never the password or passphrase.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import webhooks as sender
from ..state import ClientState, SandboxState, Webhook, WebhookStateError
from .endpoint import arg, authenticated
from .paging import Paging
from .wire import ApiError, invalid_parameter, timestamp

_AUTH_FIELDS = {"none": (), "basicAuth": ("userName", "password"), "keyAuth": ("key", "passphrase")}
_PUBLIC_AUTH_FIELDS = {"basicAuth": "userName", "keyAuth": "key"}
# The vendor spec calls the request type "archive" but lists only "archived" for RestWebhook.type.
_RESPONSE_TYPE = {"archive": "archived"}
_SORTS = {"ID": "webhook_id", "TYPE": "type", "STATUS": "status", "TARGET_URL": "target_url",
          "PAYLOAD_FORMAT": "format", "CREATED": "created", "MODIFIED": "modified"}  # fmt: skip
"""Sort criteria the sandbox models; the others (names, templates, integrations...) keep creation order."""


def routes(state: SandboxState) -> list[Route]:
    def webhook_id(request: Request, client: ClientState) -> int:
        """The path's webhook id: 404 when unknown, 409 when another client owns it (as Campaign)."""
        found = arg(request, "webhookId")
        if found not in client.webhooks:
            owner = state.webhook_owner(found)
            if owner is not None:
                raise ApiError(409, f"Webhook {found} is not assigned to client {client.account.client_id}.")
            raise ApiError(404, f"Webhook {found} was not found.")
        return found

    async def update(request: Request, client: ClientState) -> Response:
        found = webhook_id(request, client)
        event_type, target_url, auth = _settings(request)
        return JSONResponse(render(client.update_webhook(found, event_type, target_url, auth)))

    async def activate(request: Request, client: ClientState) -> Response:
        return _transition(client.activate_webhook, webhook_id(request, client))

    async def deactivate(request: Request, client: ClientState) -> Response:
        return _transition(client.deactivate_webhook, webhook_id(request, client))

    async def delete(request: Request, client: ClientState) -> Response:
        found = webhook_id(request, client)
        try:
            client.delete_webhook(found)
        except WebhookStateError as error:
            raise ApiError(400, str(error)) from None
        return Response(status_code=204)

    async def verify(request: Request, client: ClientState) -> Response:
        webhook = client.webhooks[webhook_id(request, client)]
        mailing_id, events = arg(request, "mailingId"), arg(request, "numberOfEvents")
        # A worker thread, so that a target served by this very server can still answer.
        result = await anyio.to_thread.run_sync(sender.verify, client, webhook, mailing_id, events)
        return JSONResponse([result])

    base = "/{clientId}/webhooks"
    return [
        Route(base, authenticated(state, "selectWebhooks", select_webhooks), methods=["GET"]),
        Route(base, authenticated(state, "createWebhook", create_webhook), methods=["POST"]),
        Route(base + "/{webhookId}", authenticated(state, "updateWebhook", update), methods=["PUT"]),
        Route(base + "/{webhookId}", authenticated(state, "deleteWebhook", delete), methods=["DELETE"]),
        Route(base + "/{webhookId}/activate", authenticated(state, "activateWebhook", activate), methods=["POST"]),
        Route(base + "/{webhookId}/deactivate", authenticated(state, "deactivateWebhook", deactivate),
              methods=["POST"]),
        Route(base + "/{webhookId}/verify", authenticated(state, "verifyWebhook", verify), methods=["GET"]),
    ]


async def select_webhooks(request: Request, client: ClientState) -> Response:
    paging = Paging.from_request(request)
    attribute, descending = _SORTS.get(arg(request, "sort"), "created"), arg(request, "direction") == "DESC"
    with client.lock:
        webhooks = list(client.webhooks.values())
        webhooks.sort(key=lambda w: (getattr(w, attribute), w.webhook_id), reverse=descending)
        return JSONResponse([render(w) for w in paging.window(webhooks)])


async def create_webhook(request: Request, client: ClientState) -> Response:
    event_type, target_url, auth = _settings(request)
    return JSONResponse(render(client.create_webhook(event_type, target_url, auth)), status_code=201)


def _transition(move, webhook_id: int) -> Response:
    try:
        return JSONResponse(render(move(webhook_id)))
    except WebhookStateError as error:
        raise ApiError(400, str(error)) from None


def _settings(request: Request) -> tuple[str, str, dict[str, str]]:
    """Type, target URL and authentication of a create/update form (type and format are checked against
    the document's enums before); 400 when the URL or the authentication is wrong."""
    target_url = arg(request, "targetUrl")
    if not target_url.startswith(("http://", "https://")):
        raise invalid_parameter("targetUrl", "must be an http or https URL")
    return arg(request, "type"), target_url, _authentication(request)


def _authentication(request: Request) -> dict[str, str]:
    if arg(request, "authentication"):
        try:
            auth = json.loads(arg(request, "authentication"))
        except json.JSONDecodeError:
            raise invalid_parameter("authentication", "is not valid JSON") from None
    elif arg(request, "basicAuthUsername"):
        auth = {"type": "basicAuth", "userName": arg(request, "basicAuthUsername"),
                "password": arg(request, "basicAuthPassword")}
    else:
        auth = {"type": "none"}
    auth_type = auth.get("type") if isinstance(auth, dict) else None
    required = _AUTH_FIELDS.get(auth_type) if isinstance(auth_type, str) else None
    if required is None or not all(isinstance(auth.get(name), str) and auth[name] for name in required):
        raise invalid_parameter("authentication", "must be type none, basicAuth or keyAuth with its fields")
    return {"type": auth["type"], **{name: auth[name] for name in required}}


def render(webhook: Webhook) -> dict[str, Any]:
    auth_type = webhook.authentication.get("type", "none")
    public = _PUBLIC_AUTH_FIELDS.get(auth_type)
    authentication = {"type": auth_type, **({public: webhook.authentication[public]} if public else {})}
    return {
        "id": webhook.webhook_id,
        "type": _RESPONSE_TYPE.get(webhook.type, webhook.type),
        "status": webhook.status,
        "format": webhook.format,
        "targetUrl": webhook.target_url,
        "authentication": authentication,
        "created": timestamp(webhook.created),
        "modified": timestamp(webhook.modified),
    }
