"""A deadline on receiving a request's head (request line and headers), which uvicorn does not have.

uvicorn times out only idle keep-alive connections between requests: a connection that sends nothing
after connecting, or trickles its headers a byte at a time (the classic slowloris), stays open for
as long as the sender likes, and with the connection limit a few hundred of them lock everyone out.
This protocol closes such a connection when its head is not complete `HEAD_DEADLINE_SECONDS` after
the connection opened or the request began, with a 408 if a request had begun. A normal client sends
its whole head in one packet, so a timer is armed only when a head arrives in pieces: the cost per
request is two attribute writes.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEAD_DEADLINE_SECONDS = 10.0
_REASON = b"request head not received in time\n"
_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                     b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(_REASON), _REASON))


class HeadDeadlineProtocol(HttpToolsProtocol):
    head_deadline_seconds = HEAD_DEADLINE_SECONDS

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_pending, self._head_began = False, self.loop.time()
        self._head_timer: asyncio.TimerHandle | None = None
        self._arm(self._head_began)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_pending, self._head_began = True, self.loop.time()

    def on_headers_complete(self) -> None:
        self._head_pending = False
        self._disarm()
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._head_pending and self._head_timer is None:  # the head came in pieces: time it
            self._arm(self._head_began)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, began: float) -> None:
        self._head_timer = self.loop.call_at(began + self.head_deadline_seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _too_slow(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self._head_pending:
            self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()
