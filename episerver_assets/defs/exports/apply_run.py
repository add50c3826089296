"""Apply an export's latest plan: batches sent concurrently, recorded on the warehouse's own thread.

Order: removals, then adds, then updates and membership clears, then exits without a write. The
rows of a group of batches are marked in flight (committed) before any of them is sent; a batch's
results, ledger changes and retry schedule commit together. Rows in flight from an apply that died
are checked first (`apply_recover`), so they are not sent a second time.
"""

from __future__ import annotations

import gc
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass, field
from itertools import islice

from ...campaign.rest import CampaignRestClient
from ...warehouse import WarehouseResource
from .apply_duckdb import duckdb_apply_settings
from .apply_pages import ORDER, Page, actions_in, pages
from .apply_record import Earlier, SentBatch, mark_in_flight, unmark, unmark_all
from .apply_recover import recover
from .apply_send import PlannedRow, send_batch
from .apply_warehouse import WarehouseThread
from .config import Export

BATCHES_PER_TRANSACTION = 10
"""Sent batches recorded per transaction, at least (more when more are out at once): with 4 connections,
transactions of 4 batches cost DuckDB 2.4 ms CPU per 1000 rows in recording and 0.9 in commits, of
10 batches 1.5 and 0.7 (export_backfill.py)."""


@dataclass
class ApplyCounts:
    statuses: Counter = field(default_factory=Counter)
    actions: Counter = field(default_factory=Counter)
    recovered: int = 0
    batches: int = 0


def _batches(page_iterator: Iterator[Page], size: int) -> Iterator[Page]:
    for todo, earlier in page_iterator:
        for start in range(0, len(todo), size):
            yield todo[start:start + size], earlier


class _Sending:
    """Keeps `concurrency` batches out. A group of `concurrency` batches is marked in flight in one
    transaction, committed before the first of them is sent; each sent batch goes to the warehouse thread."""

    def __init__(self, client: CampaignRestClient, export: Export, plan_id: str, recorder: WarehouseThread,
                 concurrency: int) -> None:
        self._client, self._export, self._plan_id, self._recorder = client, export, plan_id, recorder
        self._concurrency = concurrency
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=f"export-{export.name}")
        self._slots = threading.Semaphore(concurrency)
        self._out: set[Future] = set()
        self._unstarted: deque[PlannedRow] = deque()
        self.unsent: list[PlannedRow] = []
        """The first rows of groups marked in flight and never sent, once sending stopped on a failure."""

    def send_all(self, batches: Iterator[Page]) -> int:
        """Send every batch; returns the rows sent. Raises the first failure once the batches out are back.
        The next group is read and marked while one is being sent; a failure stops sending between groups,
        so a group whose marks are committed is sent whole or not at all."""
        sent = 0
        try:
            ahead = self._mark_next(batches)
            while ahead is not None:
                group, marks = ahead
                marks.result()
                self._raise_failure()
                ahead = self._mark_next(batches)
                self._unstarted.popleft()
                for todo, earlier in group:
                    self._slots.acquire()
                    self._out.add(self._pool.submit(self._send, todo, earlier))
                    sent += len(todo)
            wait(self._out)  # each batch's results are queued for recording before it counts as back
            self._raise_failure()
        finally:
            self.unsent.extend(self._unstarted)
            self._unstarted.clear()
        return sent

    def close(self) -> None:
        wait(self._out)
        self._pool.shutdown()

    def _mark_next(self, batches: Iterator[Page]) -> tuple[list[Page], Future] | None:
        """The next group of batches and the future of its in-flight mark's commit; None at the end."""
        group = list(islice(batches, self._concurrency))
        if not group:
            return None
        first, last = group[0][0][0], group[-1][0][-1]
        self._unstarted.append(first)
        return group, self._recorder.submit(
            lambda connection: mark_in_flight(connection, self._export, self._plan_id, first, last))

    def _raise_failure(self) -> None:
        done = {future for future in self._out if future.done()}
        self._out -= done
        if failed := next((future for future in done if future.exception() is not None), None):
            raise failed.exception()
        if self._recorder.failure is not None:
            raise self._recorder.failure

    def _send(self, todo: list[PlannedRow], earlier: Earlier) -> None:
        try:
            self._recorder.record(SentBatch(todo, send_batch(self._client, self._export.recipient_list_id, todo),
                                            earlier))
        finally:
            self._slots.release()


class _FewerFullCollections:
    """While any apply runs: the objects that existed when the first one started are left out of garbage
    collection, and the full collection runs a tenth as often. A page's rows live long enough to set
    off full collections, and each one stops every thread: 13 of 350 ms each (the whole process
    scanned), 4.6 s of a 14 s DuckDB backfill of 200,000 rows; frozen, still 21 of 45 ms
    (export_backfill.py). Counted, so that two applies in one process do not undo each other's setting.
    Garbage is still freed when its last reference goes; only cycles wait longer."""

    def __init__(self) -> None:
        self._lock, self._applies, self._before = threading.Lock(), 0, gc.get_threshold()

    def __enter__(self) -> None:
        with self._lock:
            self._applies += 1
            if self._applies == 1:
                self._before = gc.get_threshold()
                gc.freeze()
                gc.set_threshold(self._before[0], self._before[1], self._before[2] * 10)

    def __exit__(self, *exc) -> None:
        with self._lock:
            self._applies -= 1
            if self._applies == 0:
                gc.set_threshold(*self._before)
                gc.unfreeze()


fewer_full_collections = _FewerFullCollections()


def apply_plan(client: CampaignRestClient, warehouse: WarehouseResource, export: Export, plan_id: str,
               batch_size: int, concurrency: int, progress: Callable[[str], None] = lambda _: None) -> ApplyCounts:
    # one connection for the whole apply, a transaction per unit of work: opening one costs about 77 ms
    # on DuckDB; session() also waits for another process's file lock
    with fewer_full_collections, warehouse.session(), duckdb_apply_settings(warehouse):
        return _apply(client, warehouse, export, plan_id, batch_size, concurrency, progress)


def _apply(client: CampaignRestClient, warehouse: WarehouseResource, export: Export, plan_id: str, batch_size: int,
           concurrency: int, progress: Callable[[str], None]) -> ApplyCounts:
    counts = ApplyCounts()
    counts.recovered = recover(client, warehouse, export, plan_id, counts.statuses)
    per_transaction = max(concurrency, BATCHES_PER_TRANSACTION)
    recorder = WarehouseThread(warehouse, export, plan_id, backlog=2 * per_transaction,
                               batches_per_transaction=per_transaction)
    sending = _Sending(client, export, plan_id, recorder, concurrency)
    try:
        planned = recorder.call(lambda connection: actions_in(connection, export, plan_id))
        for action in (action for action in ORDER if action in planned):
            sent = sending.send_all(_batches(pages(recorder.call, export, plan_id, action), batch_size))
            if sent:
                counts.actions[action] += sent
                progress(f"{action}: {sent:,} rows")
        recorder.call(lambda connection: unmark_all(connection, export, plan_id), after_records=True)
    except BaseException:
        sending.close()  # before the unsent rows are read
        if recorder.failure is None:
            # Marks left behind cost the next apply a check per row against Campaign, nothing worse.
            with suppress(Exception):
                recorder.call(lambda connection: unmark(connection, export, plan_id, sending.unsent))
        raise
    finally:
        sending.close()
        recorder.close()
    counts.statuses.update(recorder.statuses)
    counts.batches = recorder.recorded_batches
    return counts
