"""The receiver's Starlette application: POST /events, GET /healthz, GET /readyz."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime, timezone

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .auth import is_authorised
from .config import ReceiverConfig
from .group_commit import GroupCommitWriter
from .intake import Refused, check_content_type, count_events, read_capped
from .landing_store import open_landing_store
from .request_stats import RequestStats, log_summaries

log = logging.getLogger("episerver_assets.receiver")

READY_PROBE_TIMEOUT_SECONDS = 5.0


def _headers_of_interest(request: Request) -> dict:
    """What is kept besides the body; never Authorization or the key header."""
    headers = request.headers
    return {
        "content_type": headers.get("content-type"),
        "user_agent": headers.get("user-agent"),
        "request_id": headers.get("x-request-id") or headers.get("x-correlation-id"),
    }


def _unauthorised(config: ReceiverConfig) -> Response:
    challenge = {"WWW-Authenticate": 'Basic realm="webhook"'} if config.auth_mode == "basic" else None
    return Response(status_code=401, headers=challenge)


def build_app(config: ReceiverConfig) -> Starlette:
    stats = RequestStats()
    state: dict = {}

    async def receive_events(request: Request) -> Response:
        started = time.perf_counter()
        if not is_authorised(request.headers, config):
            stats.refused += 1
            log.debug("POST /events 401")
            return _unauthorised(config)
        try:
            check_content_type(request.headers)
            body = await read_capped(request.headers, request.stream(), config.max_body_bytes)
            events = count_events(body, config.max_events)
        except Refused as refusal:
            stats.refused += 1
            log.debug("POST /events %d %s", refusal.status, refusal.reason)
            return PlainTextResponse(refusal.reason + "\n", status_code=refusal.status)
        row = {"received_at": datetime.now(timezone.utc), "event_count": events, "body": body,
               **_headers_of_interest(request)}
        try:
            await asyncio.wrap_future(state["writer"].submit(row))
        except Exception:
            stats.refused += 1
            log.debug("POST /events 503 store unavailable")
            return PlainTextResponse("landing store unavailable, retry later\n", status_code=503)
        stats.accepted += 1
        stats.events += events
        log.debug("POST /events 200 %d bytes %d events %.1f ms", len(body), events,
                  (time.perf_counter() - started) * 1000)
        return JSONResponse({"accepted": events})

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
        summaries = asyncio.create_task(log_summaries(stats))
        try:
            yield
        finally:
            summaries.cancel()
            await asyncio.to_thread(writer.stop)
            engine.dispose()

    routes = [
        Route("/events", receive_events, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
