"""Serve an ASGI app with uvicorn on a background thread, for the sandbox and its tests."""

from __future__ import annotations

import asyncio
import socket
import threading

import uvicorn


class BackgroundHttpServer:
    """One uvicorn server on 127.0.0.1, started and stopped from synchronous code.

    Port 0 picks a free port; `base_url` is known once `start()` returns.
    """

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"http-{self.port}", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._socket]))

    def start(self, timeout: float = 10.0) -> BackgroundHttpServer:
        self._thread.start()
        ready = threading.Event()
        deadline = timeout
        # uvicorn offers no start event: poll its flag, bounded by the timeout.
        while not self._server.started and self._thread.is_alive() and deadline > 0:
            ready.wait(0.01)
            deadline -= 0.01
        if not self._server.started:
            raise RuntimeError(f"HTTP server on {self.base_url} did not start within {timeout}s")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> BackgroundHttpServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
