"""A wall-clock deadline for one HTTP exchange: connect, request, headers and the whole body.

httpx's timeouts bound each socket operation, not the exchange: a server that sends one byte per
second never trips a read timeout and holds the call forever, in the body or already in the
headers. The transport built here bounds every connect, read and write by the time the calling
thread's current deadline leaves, so an exchange ends within its deadline whatever the server does.
"""

from __future__ import annotations

import threading
import time
import typing
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpcore
import httpx

_current = threading.local()


class Deadline:
    """A point in time `seconds` from now (monotonic clock)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    @contextmanager
    def applied(self) -> Iterator[Deadline]:
        """Bound the socket operations this thread makes through `deadline_transport` meanwhile."""
        previous = getattr(_current, "deadline", None)
        _current.deadline = self
        try:
            yield self
        finally:
            _current.deadline = previous


def _bounded(timeout: float | None, expired: type[Exception]) -> float | None:
    """`timeout` shortened to what the current deadline leaves; `expired` raised when nothing is left."""
    deadline: Deadline | None = getattr(_current, "deadline", None)
    if deadline is None:
        return timeout
    remaining = deadline.remaining()
    if remaining <= 0:
        raise expired(f"deadline of {deadline.seconds:g} s exceeded")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: typing.Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        tls = self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(tls)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_tcp(host, port, bounded, local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def environment_proxy(url: str) -> str | None:
    """The proxy the environment (HTTP(S)_PROXY, NO_PROXY) sets for `url`, as httpx would use it.

    httpx reads these only for the transports it builds itself, so a custom transport asks here.
    """
    parts = urlsplit(url)
    if not parts.hostname or urllib.request.proxy_bypass(parts.hostname):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(parts.scheme) or proxies.get("all")


def deadline_transport(url: str, limits: httpx.Limits) -> httpx.HTTPTransport:
    """An httpx transport for `url` whose socket operations obey the calling thread's `Deadline`."""
    transport = httpx.HTTPTransport(limits=limits, proxy=environment_proxy(url))
    # httpx has no public hook for the network backend; its pool keeps it in this attribute.
    pool = transport._pool
    pool._network_backend = _DeadlineBackend(pool._network_backend)
    return transport
