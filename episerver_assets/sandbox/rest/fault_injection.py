"""Apply the FaultSwitch to the Campaign endpoints, and the admin endpoint that sets it over HTTP.

`GET /_sandbox/faults` shows the settings; `PUT /_sandbox/faults` with a JSON object changes the
named ones (e.g. `{"rate_429": 0.2, "seed": 7}`) and restarts the random sequence. The admin
endpoint itself never misbehaves and needs no credentials: the sandbox listens on loopback only.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..faults import Fault, FaultSwitch
from .wire import error_response


class FaultInjection:
    """ASGI middleware: per request, maybe answer 429/500, delay, or drop the connection."""

    def __init__(self, app: ASGIApp, faults: FaultSwitch):
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fault = self.faults.draw() if scope["type"] == "http" else None
        if fault is Fault.TOO_MANY_REQUESTS:
            await error_response(429, "Too many requests (sandbox fault).")(scope, receive, send)
        elif fault is Fault.SERVER_ERROR:
            await error_response(500, "Internal server error (sandbox fault).")(scope, receive, send)
        elif fault is Fault.DROP:
            await _drop_connection(receive)
        else:
            if fault is Fault.SLOW:
                await asyncio.sleep(self.faults.slow_seconds)
            await self.app(scope, receive, send)


async def _drop_connection(receive: Receive) -> None:
    """Close the TCP connection before any byte of a response, as a dying proxy or network would.

    ASGI has no message for this. uvicorn keeps the connection's transport on its per-request
    cycle object, which is on the call stack; closing that transport is exactly a dropped
    connection. Under another server the fallback is an exception, which fails the request too.
    """
    transport = _server_transport()
    if transport is None:
        raise ConnectionAbortedError("sandbox fault: dropped connection")
    transport.abort()
    # Wait until the server has noticed, so that it does not answer on its own.
    async with asyncio.timeout(5):
        while (await receive())["type"] != "http.disconnect":
            pass


def _server_transport() -> Any:
    frame = sys._getframe(1)
    while frame is not None:
        candidate = frame.f_locals.get("self")
        transport = getattr(candidate, "transport", None)
        if transport is not None and hasattr(transport, "abort") and hasattr(candidate, "scope"):
            return transport
        frame = frame.f_back
    return None


def admin_routes(faults: FaultSwitch) -> list[Route]:
    async def show(request: Request) -> Response:
        return JSONResponse(faults.settings())

    async def change(request: Request) -> Response:
        try:
            settings = json.loads(await request.body())
            if not isinstance(settings, dict):
                raise ValueError("the body must be a JSON object")
            faults.configure(**settings)
        except (ValueError, TypeError) as error:
            return error_response(400, f"Invalid fault settings: {error}")
        return JSONResponse(faults.settings())

    return [
        Route("/_sandbox/faults", show, methods=["GET"]),
        Route("/_sandbox/faults", change, methods=["PUT"]),
    ]
