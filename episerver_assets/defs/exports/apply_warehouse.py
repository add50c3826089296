"""The apply's one warehouse connection, used by one thread of its own: page reads, in-flight marks and the
recording of sent batches run there in the order they were asked for, so sending never waits on the
warehouse (it did for 15 of 20 s of a DuckDB backfill when the main thread recorded between sends).

Sent batches wait in a bounded queue (a sender that finds it full waits: memory stays flat) and are
recorded several to a transaction. When recording fails, the batches after it are not recorded (their
rows stay in flight, and the next apply checks them against Campaign), every later call raises the
failure, and so does `close`: the apply stops instead of losing rows.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa

from .apply_record import SentBatch, record_batches
from .config import Export

T = TypeVar("T")
_STOP = object()


class HeldConnection:
    """One connection for a whole apply, a transaction per unit of work: opening one costs about 77 ms on
    DuckDB."""

    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        with self._connection.begin():
            yield self._connection


class WarehouseThread:
    def __init__(self, warehouse: HeldConnection, export: Export, plan_id: str, backlog: int,
                 batches_per_transaction: int) -> None:
        self._warehouse, self._export, self._plan_id = warehouse, export, plan_id
        self._queue: queue.Queue = queue.Queue(maxsize=backlog)
        self._per_transaction = batches_per_transaction
        self.failure: BaseException | None = None
        self.statuses: Counter = Counter()
        self.recorded_batches = 0
        self._thread = threading.Thread(target=self._run, name=f"export-{export.name}-warehouse", daemon=True)
        self._thread.start()

    def call(self, work: Callable[[sa.Connection], T]) -> T:
        """Run `work` in a transaction of its own after everything queued before it; wait for its result."""
        future: Future = Future()
        self._queue.put((work, future))
        return future.result()

    def record(self, batch: SentBatch) -> None:
        """Queue a sent batch for recording; waits while the queue is full."""
        self._queue.put(batch)

    def close(self) -> None:
        """Record what is queued, end the thread; raises the recording failure if there was one."""
        self._queue.put(_STOP)
        self._thread.join()
        if self.failure is not None:
            raise self.failure

    def _run(self) -> None:
        following = None
        while (item := following or self._queue.get()) is not _STOP:
            following = None
            if isinstance(item, SentBatch):
                batches, following = self._gather(item)
                self._record(batches)
            else:
                self._call(*item)

    def _gather(self, first: SentBatch) -> tuple[list[SentBatch], Any]:
        """`first` and the batches queued right behind it (up to the limit per transaction); the item
        after them if one was taken."""
        batches = [first]
        while len(batches) < self._per_transaction:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batches, None
            if not isinstance(item, SentBatch):
                return batches, item
            batches.append(item)
        return batches, None

    def _call(self, work: Callable[[sa.Connection], Any], future: Future) -> None:
        if self.failure is not None:
            future.set_exception(self.failure)
            return
        try:
            with self._warehouse.begin() as connection:
                result = work(connection)
        except BaseException as error:  # the caller gets it
            future.set_exception(error)
            return
        future.set_result(result)  # after the commit: a caller sends a batch once its marks are committed

    def _record(self, batches: list[SentBatch]) -> None:
        if self.failure is not None:
            return
        try:
            with self._warehouse.begin() as connection:
                statuses = record_batches(connection, self._export, self._plan_id, batches, dt.datetime.now(dt.UTC))
        except BaseException as error:  # surfaced by the next call and by close
            self.failure = error
            return
        self.statuses.update(statuses)
        self.recorded_batches += len(batches)
