"""addAll3 batches in flight at once, their codes recorded in the order the batches were cut.

One batch at a time leaves the connection idle while the next envelope is built and the last reply
read, and leaves Campaign idle for a whole round trip per batch. Up to `connections` batches are in
flight; the main thread builds the next while they travel. Codes are recorded batch by batch in the
original order, so the summary (and the results table built from it) is the same as sequential
sending. When a batch fails, the batches not yet sent are cancelled, those in flight are awaited, and
the first failure in batch order is raised: nothing is sent after a failure is known.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

import requests
from requests.adapters import HTTPAdapter

from .add_all3 import AddAll3Batch, AddAll3Summary
from .add_all3_wire import AddAll3Envelope

logger = logging.getLogger(__name__)

SendBatch = Callable[[AddAll3Envelope], object]


def _record(summary: AddAll3Summary, list_id: int, batch: AddAll3Batch, codes: object) -> None:
    summary.record(batch.recipient_ids, codes or [])
    logger.info("addAll3 list %s batch %d: %d recipients, %d added so far",
                list_id, summary.batches, len(batch.recipient_ids), summary.added)


def send_batches(send: SendBatch, batches: Iterable[AddAll3Batch], list_id: int, connections: int) -> AddAll3Summary:
    """Send every batch with `send` (one addAll3 call), at most `connections` at a time."""
    if connections < 1:
        raise ValueError("connections must be at least 1")
    summary = AddAll3Summary()
    if connections == 1:
        for batch in batches:
            _record(summary, list_id, batch, send(batch.envelope))
        return summary
    in_flight: deque[tuple[AddAll3Batch, Future]] = deque()
    with ThreadPoolExecutor(connections, thread_name_prefix="addAll3") as pool:
        try:
            for batch in batches:
                in_flight.append((batch, pool.submit(send, batch.envelope)))
                if len(in_flight) >= connections:
                    oldest, future = in_flight.popleft()
                    _record(summary, list_id, oldest, future.result())
            while in_flight:
                oldest, future = in_flight.popleft()
                _record(summary, list_id, oldest, future.result())
        except BaseException:
            for _, future in in_flight:
                future.cancel()
            raise
    return summary


def widen_connection_pool(session: object, connections: int) -> None:
    """requests keeps 10 connections per host; more threads would open and drop one per call."""
    if not isinstance(session, requests.Session):
        return
    for prefix in ("https://", "http://"):
        current = session.get_adapter(prefix)
        if getattr(current, "_pool_maxsize", connections) < connections:
            session.mount(prefix, HTTPAdapter(pool_connections=connections, pool_maxsize=connections))
            current.close()
