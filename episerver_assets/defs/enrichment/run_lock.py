"""One run per enrichment at a time: two runs would both find the same members due and send them twice.

PostgreSQL: a session-level advisory lock on a connection of its own, held for the whole run (the
run commits many transactions). DuckDB: the file admits one writing process only while a connection
is open, and the run opens one per transaction, so another process could find the same members due
between them: a lock inside the process (threads) and an OS lock on a file beside the database
(processes; the kernel releases it when the process dies). A second run fails at once, naming the
enrichment.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import sqlalchemy as sa

from ...warehouse import WarehouseResource
from ...warehouse.partition_lock import PartitionBusyError, lock_partition_in_process, partition_lock_key

LOCK_NAME = "enrichment run"


class EnrichmentBusyError(RuntimeError):
    pass


def _busy(slug: str) -> EnrichmentBusyError:
    return EnrichmentBusyError(f"enrichment {slug} is being run already; retry when that run has finished")


@contextmanager
def _lock_file(path: str, slug: str) -> Iterator[None]:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(slug) from None
        yield
    finally:
        os.close(descriptor)  # releases the lock


@contextmanager
def enrichment_run_lock(warehouse: WarehouseResource, slug: str) -> Iterator[None]:
    if warehouse.dialect == "postgresql":
        key = partition_lock_key(LOCK_NAME, slug)
        with warehouse.engine.connect() as connection:
            if not connection.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar():
                raise _busy(slug)
            connection.commit()
            try:
                yield
            finally:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
        return
    file = warehouse.engine.url.database
    database = os.path.realpath(file or ":memory:")
    with ExitStack() as held:
        try:
            held.enter_context(lock_partition_in_process(database, LOCK_NAME, slug, 0))
        except PartitionBusyError:
            raise _busy(slug) from None
        if file and file != ":memory:":
            held.enter_context(_lock_file(f"{database}.enrichment-{slug}.lock", slug))
        yield
