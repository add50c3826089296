"""The reference webhook receiver for `receiver_throughput.py`: the least an endpoint of this kind does.

    .venv/bin/python benchmarks/receiver_reference.py --port 8790 --store /tmp/reference.sqlite3

A Starlette + uvicorn app that authenticates (HTTP Basic, constant-time), parses the JSON body and
appends it to a SQLite file in WAL mode with `synchronous=FULL`, answering only after the grouped
commit holding the request: one writer thread commits everything queued meanwhile in one transaction
and wakes all its waiters with one call into the event loop. Nothing else: no limits, no headers kept,
no logging, no health checks.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hmac
import json
import queue
import sqlite3
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

USER, SECRET = "campaign-webhook", "benchmark-secret"
EXPECTED_AUTHORIZATION = ("Basic " + base64.b64encode(f"{USER}:{SECRET}".encode()).decode()).encode()


def write_batches(store: str, jobs: queue.Queue, loop: asyncio.AbstractEventLoop) -> None:
    connection = sqlite3.connect(store, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE IF NOT EXISTS landed (id INTEGER PRIMARY KEY, received_at REAL, body BLOB)")
    while True:
        batch = [jobs.get()]
        while len(batch) < 1000:
            try:
                batch.append(jobs.get_nowait())
            except queue.Empty:
                break
        connection.execute("BEGIN")
        connection.executemany("INSERT INTO landed (received_at, body) VALUES (?, ?)",
                               [(received_at, body) for received_at, body, _ in batch])
        connection.execute("COMMIT")
        loop.call_soon_threadsafe(_wake, [future for _, _, future in batch])


def _wake(futures: list[asyncio.Future]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(None)


def build_app(store: str) -> Starlette:
    jobs: queue.Queue = queue.Queue()

    async def receive(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, EXPECTED_AUTHORIZATION):
            return Response(status_code=401)
        body = await request.body()
        try:
            json.loads(body)
        except ValueError:
            return Response(status_code=400)
        future = asyncio.get_running_loop().create_future()
        jobs.put((time.time(), body, future))
        await future
        return Response(status_code=200)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        threading.Thread(target=write_batches, args=(store, jobs, asyncio.get_running_loop()), daemon=True).start()
        yield

    return Starlette(routes=[Route("/events", receive, methods=["POST"])], lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", required=True)
    args = parser.parse_args()
    uvicorn.run(build_app(args.store), host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
