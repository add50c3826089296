"""Bounds on every call to an enrichment service: a size cap on answers, and a shared request rate.

The cap is a transport wrapper, so it holds for the token endpoint as much as for the enrichment
endpoint, whatever reads the body (authlib reads token answers itself). The limiter spaces requests
evenly at the configured rate and lets a 429's Retry-After pause every worker, not only the one
that was told.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx


class AnswerTooLarge(Exception):
    def __init__(self, cap: int):
        super().__init__(f"answer larger than {cap:,} bytes")


class _CappedStream(httpx.AsyncByteStream):
    def __init__(self, stream: httpx.AsyncByteStream, cap: int):
        self._stream, self._cap = stream, cap

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._stream:
            seen += len(chunk)
            if seen > self._cap:
                raise AnswerTooLarge(self._cap)
            yield chunk

    async def aclose(self) -> None:
        await self._stream.aclose()


class CappedTransport(httpx.AsyncBaseTransport):
    """Refuses answers over `cap` bytes: at once when Content-Length says so, else while reading."""

    def __init__(self, cap: int, inner: httpx.AsyncBaseTransport):
        self._cap, self._inner = cap, inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._cap:
            await response.aclose()
            raise AnswerTooLarge(self._cap)
        return httpx.Response(response.status_code, headers=response.headers,
                              stream=_CappedStream(response.stream, self._cap), extensions=response.extensions)

    async def aclose(self) -> None:
        await self._inner.aclose()


class RateLimiter:
    """At most `per_second` requests a second, evenly spaced; `pause(seconds)` holds everyone back,
    also those who already had their turn and are about to send."""

    def __init__(self, per_second: float):
        self._interval = 1.0 / per_second
        self._next = self._paused_until = time.monotonic()
        self._lock = asyncio.Lock()

    async def wait_turn(self) -> None:
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            await asyncio.sleep(start - now)
        while (paused := self._paused_until - time.monotonic()) > 0:
            await asyncio.sleep(paused)

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        self._next = max(self._next, self._paused_until)
