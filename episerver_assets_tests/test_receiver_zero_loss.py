"""Zero loss: every event the receiver acknowledged survives a SIGKILL in the middle of the load.

The receiver runs as a real `episerver-assets webhook-receiver` process on a free loopback port,
landing in SQLite (WAL) or PostgreSQL; client threads post arrays of uniquely numbered events and
record the acknowledged ones; once enough are acknowledged (a count, not a sleep) the process is
killed with SIGKILL and restarted. It logs at DEBUG meanwhile, and its log must not hold the secret.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from .receiver_fixtures import SECRET, stored_rows

ACKS_BEFORE_KILL = 300
CLIENT_THREADS = 4
STARTUP_DEADLINE_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_receiver(env: dict, log_path) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "episerver_assets.cli", "--verbose", "webhook-receiver"],
                                env=env, stdout=log, stderr=log)


def _wait_ready(process: subprocess.Popen, base_url: str) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "the receiver exited during startup"
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)  # polling a real condition (the port answering) with a deadline
    raise AssertionError("the receiver was not ready in time")


class LoadClient:
    """Threads posting numbered events until the receiver stops answering; acknowledged ids kept."""

    def __init__(self, base_url: str) -> None:
        self.base_url, self.acked, self.numbers = base_url, set(), itertools.count()
        self.lock, self.changed = threading.Lock(), threading.Condition()
        self.threads = [threading.Thread(target=self._post_until_refused) for _ in range(CLIENT_THREADS)]

    def _post_until_refused(self) -> None:
        with httpx.Client(base_url=self.base_url, headers={"X-Api-Key": SECRET}, timeout=10) as client:
            while True:
                with self.lock:
                    ids = [next(self.numbers) for _ in range(1 + len(self.acked) % 3)]
                try:
                    response = client.post("/events", json=[{"type": "OPEN", "id": n} for n in ids])
                except httpx.TransportError:
                    return
                assert response.status_code == 200, response.text
                with self.changed:
                    self.acked.update(ids)
                    self.changed.notify_all()

    def wait_for_acks(self, count: int, timeout: float = 30) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.acked) >= count, timeout), "too few acknowledgements"


def _stored_ids(store_url: str) -> list[int]:
    documents = [json.loads(row["body"]) for row in stored_rows(store_url)]
    return [event["id"] for document in documents
            for event in (document if isinstance(document, list) else [document])]


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request, tmp_path):
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'landing.sqlite3'}"


def test_every_acknowledged_event_survives_sigkill(tmp_path, store_url):
    port = _free_port()
    env = {**os.environ, "EPISERVER_DATA_DIR": str(tmp_path), "EPISERVER_RECEIVER_PORT": str(port),
           "EPISERVER_RECEIVER_AUTH": "key", "EPISERVER_RECEIVER_SECRET": SECRET,
           "EPISERVER_RECEIVER_STORE_URL": store_url}
    base_url = f"http://127.0.0.1:{port}"
    receiver = _start_receiver(env, tmp_path / "receiver.log")
    try:
        _wait_ready(receiver, base_url)
        load = LoadClient(base_url)
        for thread in load.threads:
            thread.start()
        load.wait_for_acks(ACKS_BEFORE_KILL)
        receiver.send_signal(signal.SIGKILL)
        receiver.wait(timeout=10)
        for thread in load.threads:
            thread.join(timeout=15)
        assert not any(thread.is_alive() for thread in load.threads)
        sent = next(load.numbers)

        receiver = _start_receiver(env, tmp_path / "receiver.log")
        _wait_ready(receiver, base_url)
        after_restart = httpx.post(f"{base_url}/events", json={"type": "OPEN", "id": sent},
                                   headers={"X-Api-Key": SECRET}, timeout=10)
        assert after_restart.status_code == 200
    finally:
        receiver.kill()
        receiver.wait(timeout=10)

    stored = _stored_ids(store_url)
    assert load.acked <= set(stored), f"lost {len(load.acked - set(stored))} acknowledged events"
    assert len(stored) == len(set(stored)), "an event was stored twice"
    assert sent in stored and len(load.acked) >= ACKS_BEFORE_KILL
    log = (tmp_path / "receiver.log").read_text()
    assert "POST /events 200" in log and SECRET not in log
