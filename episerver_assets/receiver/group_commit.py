"""Grouped commits: one writer thread commits many queued requests per transaction.

Each submitter gets a future that is resolved only after the transaction holding its row has
committed (or failed, then it carries the error): the HTTP handler awaits it before answering 2xx.
While one transaction commits, new requests queue up and go into the next one, so the cost of a
durable commit is shared by everything that arrived meanwhile. The handlers' asyncio futures of one
transaction are settled by a single call into their event loop, not one thread hop per request.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections import defaultdict
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlalchemy as sa

from .driver_insert import DriverInsert
from .landing_store import readiness_probe

log = logging.getLogger(__name__)

MAX_REQUESTS_PER_TRANSACTION = 1000


@dataclass
class _Job:
    row: dict | None  # None: a readiness probe
    done: Future | asyncio.Future = field(default_factory=Future)
    loop: asyncio.AbstractEventLoop | None = None  # set when `done` is an asyncio future of that loop


_STOP = object()


class GroupCommitWriter:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        # Kept between transactions: a pool checkout and reset per group cost more CPU (under the GIL
        # the event loop needs) than inserting the group's rows. Dropped after a failure.
        self._connection: sa.Connection | None = None
        self._insert = DriverInsert(engine.dialect)
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="landing-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Commit what is queued, then end the thread."""
        self._queue.put(_STOP)
        self._thread.join()

    def submit(self, row: dict) -> Future:
        job = _Job(row)
        self._queue.put(job)
        return job.done

    async def land(self, row: dict) -> None:
        """Returns once `row` is committed; raises the commit's error if it failed."""
        loop = asyncio.get_running_loop()
        job = _Job(row, loop.create_future(), loop)
        self._queue.put(job)
        await job.done

    def probe(self) -> Future:
        job = _Job(None)
        self._queue.put(job)
        return job.done

    def _next_group(self) -> tuple[list[_Job], bool]:
        jobs, stopping = [], False
        item = self._queue.get()
        while True:
            if item is _STOP:
                stopping = True
                break
            jobs.append(item)
            if len(jobs) >= MAX_REQUESTS_PER_TRANSACTION:
                break
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
        return jobs, stopping

    def _run(self) -> None:
        while True:
            jobs, stopping = self._next_group()
            if jobs:
                self._commit(jobs)
            if stopping:
                self._drop_connection()
                return

    def _commit(self, jobs: list[_Job]) -> None:
        rows = [job.row for job in jobs if job.row is not None]
        try:
            if self._connection is None:
                self._connection = self._engine.connect()
            with self._connection.begin():
                if rows:
                    self._insert.execute(self._connection, rows)
                if len(rows) < len(jobs):
                    _write_probe(self._connection)
        except Exception as error:  # every waiter must hear about the failure, the thread must live on
            log.error("landing store commit of %d requests failed: %s", len(jobs), type(error).__name__)
            self._drop_connection()  # it may be broken (server restarted): the next group reconnects
            _settle(jobs, error)
            return
        _settle(jobs, None)

    def _drop_connection(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # closing a broken connection may fail too; it is gone either way
                pass
            self._connection = None


def _settle(jobs: list[_Job], error: Exception | None) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future]] = defaultdict(list)
    for job in jobs:
        if job.loop is not None:
            by_loop[job.loop].append(job.done)
        elif error is None:
            job.done.set_result(None)
        else:
            job.done.set_exception(error)
    for loop, futures in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_in_loop, futures, error)
        except RuntimeError:  # the loop has closed: nobody is waiting any more
            pass


def _settle_in_loop(futures: list[asyncio.Future], error: Exception | None) -> None:
    for future in futures:
        if future.done():  # its request was cancelled (client gone)
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


def _write_probe(connection: sa.Connection) -> None:
    now = datetime.now(timezone.utc)
    updated = connection.execute(readiness_probe.update().where(readiness_probe.c.id == 1).values(checked_at=now))
    if updated.rowcount == 0:
        connection.execute(readiness_probe.insert().values(id=1, checked_at=now))
