"""The enrichment service as a Starlette app.

- `POST /oauth/token`: client credentials grant (client id and secret as HTTP Basic or in the form),
  answering `{"access_token", "token_type": "Bearer", "expires_in"}`; wrong ones get 401 invalid_client.
- `POST /service/api/v2/user`: a JSON object with `email`; the token comes as `access_token` query
  parameter (as the seed configures it) or as a Bearer header. Answers a stable UUID per address:
  `{"uuid", "email", "sourceCode"}`. A missing, unknown or expired token gets 401.
- `PUT|DELETE /_sandbox/faults`: the scripted answers (scripted_faults.py); `PUT /_sandbox/settings`
  sets `token_ttl_seconds`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .scripted_faults import ScriptedFaults
from .tokens import TokenIssuer

UUID_NAMESPACE = uuid.UUID("8f0c6f0e-3b7a-4d51-9a57-2f0c1a9e6b42")


def uuid_for(email: str) -> str:
    """The same UUID for an address every time, whatever its case or surrounding spaces."""
    return str(uuid.uuid5(UUID_NAMESPACE, email.strip().lower()))


@dataclass
class ReceivedRequest:
    email: str
    status: int
    at: float


@dataclass
class EnrichmentService:
    """The service's state: tokens, scripted faults and every request answered (for tests)."""

    tokens: TokenIssuer = field(default_factory=TokenIssuer)
    faults: ScriptedFaults = field(default_factory=ScriptedFaults)
    received: list[ReceivedRequest] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    """The most user requests being answered at once (tests check the client's concurrency with it)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def entered(self, change: int) -> None:
        with self._lock:
            self.in_flight += change
            self.most_in_flight = max(self.most_in_flight, self.in_flight)

    def note(self, email: str, status: int) -> None:
        with self._lock:
            self.received.append(ReceivedRequest(email, status, time.monotonic()))

    def answered(self, status: int | None = None) -> list[ReceivedRequest]:
        with self._lock:
            return [r for r in self.received if status is None or r.status == status]


def _client_credentials(request: Request, form) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        return unquote(user), unquote(password)
    return form.get("client_id"), form.get("client_secret")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return request.query_params.get("access_token") or (header[7:] if header.lower().startswith("bearer ") else None)


def build_enrichment_app(service: EnrichmentService) -> Starlette:
    async def token(request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if not service.tokens.credentials_match(*_client_credentials(request, form)):
            return JSONResponse({"error": "invalid_client"}, status_code=401,
                                headers={"WWW-Authenticate": 'Basic realm="sandbox"'})
        access_token, ttl = service.tokens.issue()
        return JSONResponse({"access_token": access_token, "token_type": "Bearer", "expires_in": ttl})

    async def user(request: Request) -> Response:
        service.entered(+1)
        try:
            return await answer_user(request)
        finally:
            service.entered(-1)

    async def answer_user(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            email = body["email"] if isinstance(body, dict) else None
        except (ValueError, KeyError):
            email = None
        problem = service.tokens.problem(_bearer(request))
        if problem:
            service.note(email or "", 401)
            return JSONResponse({"error": "invalid_token", "error_description": problem}, status_code=401,
                                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if not isinstance(email, str) or "@" not in email:
            service.note("", 400)
            return JSONResponse({"error": "a JSON object with an email address is required"}, status_code=400)
        scripted = service.faults.take(email)
        if scripted is not None and scripted.delay:
            await asyncio.sleep(scripted.delay)
        if scripted is not None and scripted.status != 200:
            service.note(email, scripted.status)
            headers = {} if scripted.retry_after is None else {"Retry-After": f"{scripted.retry_after:g}"}
            return JSONResponse({"error": f"sandbox fault {scripted.status}"}, status_code=scripted.status,
                                headers=headers)
        service.note(email, 200)
        return JSONResponse({"uuid": uuid_for(email), "email": email.strip().lower(),
                             "sourceCode": body.get("sourceCode")})

    async def change_faults(request: Request) -> Response:
        try:
            for answer in json.loads(await request.body()).get("script", []):
                service.faults.script(**answer)
        except (ValueError, TypeError, AttributeError) as error:
            return JSONResponse({"error": f"invalid fault script: {error}"}, status_code=400)
        return JSONResponse({"pending": service.faults.pending})

    async def clear_faults(request: Request) -> Response:
        service.faults.clear()
        return JSONResponse({"pending": 0})

    async def change_settings(request: Request) -> Response:
        try:
            ttl = float(json.loads(await request.body())["token_ttl_seconds"])
            if ttl <= 0:
                raise ValueError("token_ttl_seconds must be positive")
        except (ValueError, TypeError, KeyError) as error:
            return JSONResponse({"error": f"invalid settings: {error}"}, status_code=400)
        service.tokens.ttl_seconds = ttl
        return JSONResponse({"token_ttl_seconds": ttl})

    return Starlette(routes=[
        Route("/oauth/token", token, methods=["POST"]),
        Route("/service/api/v2/user", user, methods=["POST"]),
        Route("/_sandbox/faults", change_faults, methods=["PUT"]),
        Route("/_sandbox/faults", clear_faults, methods=["DELETE"]),
        Route("/_sandbox/settings", change_settings, methods=["PUT"]),
    ])
