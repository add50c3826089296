"""A raw-socket HTTP/1.1 server on 127.0.0.1 that misbehaves on purpose, for the REST client's tests.

Each test gives it a scenario: a function that receives the parsed request and writes whatever
bytes it likes (HTML, broken JSON, redirects, endless bodies, gzip bombs, one byte at a time).
The server records every request and how many bytes each answer got out before the client hung up.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Exchange:
    method: str
    target: str
    headers: dict[str, str]


@dataclass
class Wire:
    """The connection a scenario answers on; counts the bytes that went out."""

    sock: socket.socket
    sent: int = 0

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)
        self.sent += len(data)

    def head(self, status: int, headers: dict[str, str]) -> None:
        lines = [f"HTTP/1.1 {status} Whatever", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
        self.send("\r\n".join(lines).encode("latin-1"))

    def respond(self, status: int, body: bytes, content_type: str = "application/json", **headers: str) -> None:
        self.head(status, {"Content-Type": content_type, "Content-Length": str(len(body)),
                           **{k.replace("_", "-"): v for k, v in headers.items()}})
        self.send(body)

    def respond_json(self, body: object, status: int = 200) -> None:
        self.respond(status, json.dumps(body).encode())

    def drip(self, data: bytes, every: float) -> None:
        """One byte at a time, `every` seconds apart (the server's pace, not test synchronisation)."""
        for i in range(len(data)):
            self.send(data[i:i + 1])
            time.sleep(every)


Scenario = Callable[[Exchange, Wire], None]


@dataclass
class HostileServer:
    scenario: Scenario
    port: int = 0
    requests: list[Exchange] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)
    """Bytes each answer got out, recorded when it ended (completed or cut off by the client)."""
    changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/rest"

    def wait_answered(self, count: int, timeout: float = 10.0) -> list[int]:
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.answered) >= count, timeout):
                raise AssertionError(f"the server finished {len(self.answered)} answers, not {count}")
            return list(self.answered)


def _read_request(sock: socket.socket, buffer: bytearray) -> Exchange | None:
    while b"\r\n\r\n" not in buffer:
        data = sock.recv(65536)
        if not data:
            return None
        buffer.extend(data)
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    length = int(headers.get("content-length", 0))
    while len(rest) < length:
        data = sock.recv(65536)
        if not data:
            return None
        rest += data
    buffer[:] = rest[length:]
    method, target, _ = request_line.split(" ", 2)
    return Exchange(method, target, headers)


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


@contextmanager
def hostile_server(scenario: Scenario) -> Iterator[HostileServer]:
    """Serve `scenario` on a free 127.0.0.1 port (keep-alive, one thread per connection)."""
    state = HostileServer(scenario)

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            buffer = bytearray()
            while True:
                try:
                    exchange = _read_request(self.request, buffer)
                except OSError:
                    return
                if exchange is None:
                    return
                with state.changed:
                    state.requests.append(exchange)
                wire = Wire(self.request)
                try:
                    state.scenario(exchange, wire)
                except OSError:  # the client hung up mid-answer
                    return
                finally:
                    with state.changed:
                        state.answered.append(wire.sent)
                        state.changed.notify_all()

    server = _Server(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
