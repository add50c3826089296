"""The receiver's Starlette application: POST /events, GET /healthz, GET /readyz."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime, timezone

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from .auth import is_authorised
from .config import ReceiverConfig
from .group_commit import GroupCommitWriter
from .intake import Refused, check_content_type, count_events, read_capped
from .landing_store import open_landing_store
from .read_deadlines import ReadDeadlines
from .request_stats import RequestStats, log_summaries

log = logging.getLogger("episerver_assets.receiver")

READY_PROBE_TIMEOUT_SECONDS = 5.0


def _plain_headers(request: Request) -> dict[str, str]:
    """The request's headers as a plain dict (names arrive lower-cased from the server): a few cheap
    lookups instead of several scans of the raw list through `request.headers`."""
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in request.scope["headers"]}


def _headers_of_interest(headers: dict[str, str]) -> dict:
    """What is kept besides the body; never Authorization or the key header."""
    return {
        "content_type": headers.get("content-type"),
        "user_agent": headers.get("user-agent"),
        "request_id": headers.get("x-request-id") or headers.get("x-correlation-id"),
    }


def _unauthorised(config: ReceiverConfig) -> Response:
    challenge = {"WWW-Authenticate": 'Basic realm="webhook"'} if config.auth_mode == "basic" else None
    return Response(status_code=401, headers=challenge)


def build_app(config: ReceiverConfig) -> EventsFastPath:
    stats = RequestStats()
    deadlines = ReadDeadlines(config.body_read_seconds)
    state: dict = {}

    async def receive_events(request: Request) -> Response:
        started = time.perf_counter()
        headers = _plain_headers(request)
        if not is_authorised(headers, config):
            stats.refused += 1
            log.debug("POST /events 401")
            return _unauthorised(config)
        try:
            check_content_type(headers)
            body = await deadlines.read(read_capped(headers, request.stream(), config.max_body_bytes))
            events = count_events(body, config.max_events)
        except Refused as refusal:
            stats.refused += 1
            log.debug("POST /events %d %s", refusal.status, refusal.reason)
            # After a 408 the rest of the body may still be on its way: close rather than parse it as
            # the next request (uvicorn ends the connection when the response says so).
            closing = {"Connection": "close"} if refusal.status == 408 else None
            return PlainTextResponse(refusal.reason + "\n", status_code=refusal.status, headers=closing)
        except ClientDisconnect:  # gone before its body was complete: nothing stored, nobody to answer
            stats.refused += 1
            log.debug("POST /events client left before its body was complete")
            return Response(status_code=400)
        row = {"received_at": datetime.now(timezone.utc), "event_count": events, "body": body,
               **_headers_of_interest(headers)}
        try:
            await state["writer"].land(row)
        except Exception:
            stats.refused += 1
            log.debug("POST /events 503 store unavailable")
            return PlainTextResponse("landing store unavailable, retry later\n", status_code=503)
        stats.accepted += 1
        stats.events += events
        log.debug("POST /events 200 %d bytes %d events %.1f ms", len(body), events,
                  (time.perf_counter() - started) * 1000)
        return Response(b'{"accepted":%d}' % events, media_type="application/json")

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(_request: Request) -> Response:
        try:
            await asyncio.wait_for(asyncio.wrap_future(state["writer"].probe()), READY_PROBE_TIMEOUT_SECONDS)
        except Exception:
            return PlainTextResponse("landing store not writable\n", status_code=503)
        return PlainTextResponse("ready\n")

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette):
        engine = open_landing_store(config.store_url)
        writer = GroupCommitWriter(engine)
        writer.start()
        state["writer"] = writer
        chores = [asyncio.create_task(log_summaries(stats)), asyncio.create_task(deadlines.sweep_forever())]
        try:
            yield
        finally:
            for chore in chores:
                chore.cancel()
            await asyncio.to_thread(writer.stop)
            engine.dispose()

    routes = [
        Route("/events", receive_events, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
    return EventsFastPath(Starlette(routes=routes, lifespan=lifespan), receive_events)


class EventsFastPath:
    """POST /events goes straight to its handler; everything else (health, readiness, lifespan, 404s,
    405s) through the Starlette app. Starlette's middleware and router add some twenty Python calls to
    each request, about a seventh of the CPU a single-event request costs; the handler needs none of
    them. An unexpected error is answered with 500 and logged, as Starlette's error middleware would.
    """

    def __init__(self, app: Starlette, receive_events) -> None:
        self.app, self._receive_events = app, receive_events

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != "/events" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        try:
            response = await self._receive_events(Request(scope, receive))
        except Exception:
            log.exception("POST /events 500")
            response = PlainTextResponse("internal error\n", status_code=500)
        await response(scope, receive, send)
