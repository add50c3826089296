"""The apply's one warehouse connection, used by one thread of its own: page reads, in-flight marks and the
recording of sent batches run there, so sending never waits on the warehouse (it did for 15 of 20 s of
a DuckDB backfill when the main thread recorded between sends).

Sent batches wait in a bounded queue (a sender that finds it full waits: memory stays flat) and are
recorded several to a transaction; calls (page reads, marks) go before them. When recording fails, the
batches after it are not recorded (their rows stay in flight, and the next apply checks them against
Campaign), every later call raises the failure, and so does `close`: the apply stops instead of losing
rows.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import sqlalchemy as sa

from ...warehouse import WarehouseResource
from .apply_record import SentBatch, record_batches
from .config import Export

T = TypeVar("T")


class WarehouseThread:
    """Calls (page reads, marks) go before queued batches, so sending is not held up by recording;
    a call made `after_records` waits until every batch queued before it is recorded."""

    def __init__(self, warehouse: WarehouseResource, export: Export, plan_id: str, backlog: int,
                 batches_per_transaction: int) -> None:
        self._warehouse, self._export, self._plan_id = warehouse, export, plan_id
        self._backlog, self._per_transaction = backlog, batches_per_transaction
        self._calls: deque[tuple[Callable[[sa.Connection], Any], Future, bool]] = deque()
        self._batches: deque[SentBatch] = deque()
        self._changed = threading.Condition()
        self._stopping = False
        self.failure: BaseException | None = None
        self.statuses: Counter = Counter()
        self.recorded_batches = 0
        self._thread = threading.Thread(target=self._run, name=f"export-{export.name}-warehouse", daemon=True)
        self._thread.start()

    def submit(self, work: Callable[[sa.Connection], T], after_records: bool = False) -> Future:
        """Run `work` in a transaction of its own; the future is set after the commit."""
        future: Future = Future()
        with self._changed:
            self._calls.append((work, future, after_records))
            self._changed.notify_all()
        return future

    def call(self, work: Callable[[sa.Connection], T], after_records: bool = False) -> T:
        return self.submit(work, after_records).result()

    def record(self, batch: SentBatch) -> None:
        """Queue a sent batch for recording; waits while `backlog` batches wait."""
        with self._changed:
            self._changed.wait_for(lambda: len(self._batches) < self._backlog)
            self._batches.append(batch)
            self._changed.notify_all()

    def close(self) -> None:
        """Record what is queued, end the thread; raises the recording failure if there was one."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        self._thread.join()
        if self.failure is not None:
            raise self.failure

    def _next(self) -> tuple[Any, Future, bool] | list[SentBatch] | None:
        """A call that may run now, else the batches to record in one transaction; None: stop. Batches wait
        until a transaction's worth is queued, unless a call waits for them or the thread stops: with
        the marks one row per group, recording whatever was queued made transactions of one or two
        batches, and each costs DuckDB a commit."""
        with self._changed:
            while True:
                if self._calls and not (self._calls[0][2] and self._batches):
                    return self._calls.popleft()
                if self._batches and (len(self._batches) >= self._per_transaction or self._calls or self._stopping):
                    taken = [self._batches.popleft() for _ in range(min(self._per_transaction, len(self._batches)))]
                    self._changed.notify_all()
                    return taken
                if self._stopping:
                    return None
                self._changed.wait()

    def _run(self) -> None:
        while (item := self._next()) is not None:
            if isinstance(item, list):
                self._record(item)
            else:
                self._call(item[0], item[1])

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
