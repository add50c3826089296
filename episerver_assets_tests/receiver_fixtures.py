"""Helpers shared by the receiver tests: a config on a given store, the stored rows, a running server."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import sqlalchemy as sa
import uvicorn

from episerver_assets.receiver.config import ReceiverConfig
from episerver_assets.receiver.landing_store import landed_requests, open_landing_store
from episerver_assets.receiver.server import uvicorn_config

USER, SECRET = "campaign-webhook", "s3cret-Receiver-key"


def receiver_config(store_url: str, auth_mode: str = "basic", **overrides) -> ReceiverConfig:
    values = dict(host="127.0.0.1", port=0, auth_mode=auth_mode, user=USER, key_header="X-Api-Key",
                  secret=SECRET, store_url=store_url, max_body_bytes=4096, max_events=5)
    values.update(overrides)
    return ReceiverConfig(**values)


def basic_auth(user: str = USER, secret: str = SECRET) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


def stored_rows(store_url: str) -> list[dict]:
    engine = open_landing_store(store_url)
    try:
        with engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(sa.select(landed_requests).order_by("id"))]
    finally:
        engine.dispose()


@contextlib.contextmanager
def running_receiver(config: ReceiverConfig, start_deadline: float = 10.0) -> Iterator[tuple[str, int]]:
    """The receiver under uvicorn with the product's server settings, on a free loopback port."""
    listener = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn_config(config))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[listener])), daemon=True)
    thread.start()
    ticks, deadline = threading.Event(), time.monotonic() + start_deadline
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        ticks.wait(0.01)  # uvicorn offers no start event: poll its flag, bounded by the deadline
    try:
        assert server.started, "the receiver did not start"
        yield listener.getsockname()[:2]
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        listener.close()
