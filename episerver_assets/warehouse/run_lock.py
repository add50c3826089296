"""One run of a thing at a time, in any process, held across many transactions and network calls.

PostgreSQL: a session-level advisory lock on a connection of its own, held for the whole run. DuckDB:
the file admits one writing process only while a connection is open, and a run opens one per
transaction, so another process could slip in between them: a lock inside the process (threads) and
an OS lock on a file beside the database (processes; the kernel releases it when the process dies).
A second run fails at once rather than waiting: what it would do is being done.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import sqlalchemy as sa

from .partition_lock import PartitionBusyError, lock_partition_in_process, partition_lock_key
from .resource import WarehouseResource


class RunBusyError(RuntimeError):
    def __init__(self, kind: str, name: str):
        super().__init__(f"{kind} {name} is being run already; retry when that run has finished")


@contextmanager
def _lock_file(path: str, busy: RunBusyError) -> Iterator[None]:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy from None
        yield
    finally:
        os.close(descriptor)  # releases the lock


@contextmanager
def exclusive_run(warehouse: WarehouseResource, kind: str, name: str,
                  busy_error: type[RunBusyError] = RunBusyError) -> Iterator[None]:
    """Hold the run lock of (kind, name) for the block; `busy_error(kind, name)` when another holds it.
    On DuckDB the lock file is `<database>.run-<key>.lock`: a name (a send id) may hold any character."""
    busy = busy_error(kind, name)
    key = partition_lock_key(kind, name)
    if warehouse.dialect == "postgresql":
        with warehouse.engine.connect() as connection:
            if not connection.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar():
                raise busy
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
            held.enter_context(lock_partition_in_process(database, kind, name, 0))
        except PartitionBusyError:
            raise busy from None
        if file and file != ":memory:":
            held.enter_context(_lock_file(f"{database}.run-{key & 0xFFFFFFFFFFFFFFFF:016x}.lock", busy))
        yield
