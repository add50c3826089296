"""The demo's webhook receiver: `episerver-assets webhook-receiver` as its own process, as in production.

It listens on a free loopback port, lands into `<EPISERVER_DATA_DIR>/demo-receiver/landing.sqlite3`
(never the store of a receiver the user runs), and stops with the demo.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

READY_DEADLINE_SECONDS = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demo_receiver_env(data_dir: Path) -> dict[str, str]:
    """The receiver settings the demo uses, for the receiver process and for the code that reads its store."""
    port = _free_port()
    store = data_dir / "demo-receiver" / "landing.sqlite3"
    return {
        "EPISERVER_RECEIVER_HOST": "127.0.0.1",
        "EPISERVER_RECEIVER_PORT": str(port),
        "EPISERVER_RECEIVER_PUBLIC_URL": f"http://127.0.0.1:{port}/events",
        "EPISERVER_RECEIVER_STORE_URL": f"sqlite:///{store}",
    }


@contextmanager
def running_receiver(env: dict[str, str]) -> Iterator[str]:
    """Start the receiver with `env` on top of this process's environment; yields its events URL once
    /readyz answers 200 (the store is writable), and stops it at the end of the block."""
    process = subprocess.Popen(
        [sys.executable, "-m", "episerver_assets.cli", "webhook-receiver"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_until_ready(process, f"http://127.0.0.1:{env['EPISERVER_RECEIVER_PORT']}/readyz")
        yield env["EPISERVER_RECEIVER_PUBLIC_URL"]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(process: subprocess.Popen, ready_url: str) -> None:
    deadline = time.monotonic() + READY_DEADLINE_SECONDS
    with httpx.Client(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                error = process.stderr.read().decode(errors="replace").strip().splitlines() if process.stderr else []
                raise RuntimeError(f"the webhook receiver exited ({process.returncode}): {' '.join(error[-1:])}")
            try:
                if http.get(ready_url).status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.1)
    raise RuntimeError(f"the webhook receiver was not ready within {READY_DEADLINE_SECONDS:.0f} s")
