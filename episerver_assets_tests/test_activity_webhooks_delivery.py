"""End to end: the asset registers our receiver (running in-process) with the sandbox, whose sender then
delivers events that land in the receiver's store with the authentication accepted."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import pytest
import uvicorn

from episerver_assets.receiver.app import build_app
from episerver_assets.receiver.config import ReceiverConfig

from .activity_webhook_support import materialize, metadata_of, resources, sandbox_webhooks
from .receiver_fixtures import SECRET, USER, receiver_config, stored_rows

VERIFY_MAILING = 4242


@contextmanager
def serving(config: ReceiverConfig) -> Iterator[str]:
    """The receiver app with its lifespan (landing store, group commits) under uvicorn on loopback."""
    listener = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(build_app(config), lifespan="on", log_level="warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[listener])), daemon=True)
    thread.start()
    try:
        tick = threading.Event()
        for _ in range(1000):  # uvicorn has no start event: poll its flag, 10 s at most
            if server.started or not thread.is_alive():
                break
            tick.wait(0.01)
        assert server.started, "receiver did not start"
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/events"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


def landed_events(store_url: str) -> list[dict]:
    bodies = [json.loads(row["body"]) for row in stored_rows(store_url)]
    return [event for body in bodies for event in (body if isinstance(body, list) else [body])]


def verify_all(webhook_ids: list[int]) -> list[int]:
    """Campaign's verify call for each webhook: the HTTP status our receiver answered its test events with."""
    with resources()["rest"].client() as rest:
        return [v.http_status_code for hook in webhook_ids for v in rest.verify_webhook(hook, VERIFY_MAILING, 2)]


@pytest.mark.parametrize("mode", ["basic", "key"])
def test_registered_webhooks_deliver_to_our_receiver_once_the_secret_is_right(
        sandbox, sandbox_env, monkeypatch, tmp_path, mode):
    store_url = f"sqlite:///{tmp_path / 'landing.sqlite3'}"
    config = receiver_config(store_url, auth_mode=mode, max_body_bytes=1 << 20, max_events=100)
    with serving(config) as url, dg.DagsterInstance.ephemeral() as instance:
        for name, value in {"EPISERVER_RECEIVER_PUBLIC_URL": url, "EPISERVER_RECEIVER_AUTH": mode,
                            "EPISERVER_RECEIVER_USER": USER, "EPISERVER_RECEIVER_KEY_HEADER": "X-Api-Key",
                            "EPISERVER_RECEIVER_SECRET": "an-outdated-secret",
                            "EPISERVER_ACTIVITY_EVENT_TYPES": "open,click"}.items():
            monkeypatch.setenv(name, value)
        materialize(instance)
        ids = [h.webhook_id for h in sandbox_webhooks(sandbox, url)]
        assert len(ids) == 2 and verify_all(ids) == [401, 401]
        assert stored_rows(store_url) == []

        monkeypatch.setenv("EPISERVER_RECEIVER_SECRET", SECRET)
        assert metadata_of(materialize(instance))["created_webhooks"] == 0
        assert verify_all(ids) == [200, 200]
        sender = sandbox.webhooks[sandbox.client_ids[0]]
        generated = sender.emit(3)
        assert (generated, sender.counters.failed, sender.pending) == (6, 0, 0)

    events = landed_events(store_url)
    verified = [e for e in events if e["mailingId"] == VERIFY_MAILING]
    emitted = [e for e in events if e["mailingId"] != VERIFY_MAILING]
    assert sorted(e["type"] for e in verified) == ["click", "click", "open", "open"]
    assert len(emitted) >= 6 and {e["type"] for e in emitted} == {"open", "click"}
    assert all(e["clientId"] == sandbox.client_ids[0] and e["mediaTypesToAddresses"]["EMAIL"] for e in events)
    assert not any(SECRET in str(value) for row in stored_rows(store_url) for value in row.values())
