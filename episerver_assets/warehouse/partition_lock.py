"""Exclusive partition replace: one writer per (table, partition) at a time, on every engine.

Two runs replacing the same table-day must not both delete what they see and both insert (the rows
come out doubled). PostgreSQL serialises them with a transaction-scoped advisory lock, which also
covers threads (each has its own connection). DuckDB's file lock already admits one writing process
per file, but connections inside one process share the database and race: a lock per key in this
process serialises them.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

_LOCK_NOT_AVAILABLE = "55P03"


class PartitionBusyError(TimeoutError):
    """Another writer held the partition longer than the configured wait."""

    def __init__(self, table_name: str, partition_value: Any, timeout_seconds: float):
        super().__init__(
            f"could not replace partition {partition_value} of {table_name}: another run has been "
            f"replacing it for over {timeout_seconds:g} s (partition_lock_timeout_seconds); "
            "retry when it has finished, or look for a stuck run"
        )


def partition_lock_key(table_name: str, partition_value: Any) -> int:
    """A signed 64-bit key, the same in every process (Python's hash() is randomised per process).

    The partition is keyed by its text, so a date and its ISO string, which select the same rows,
    share a key.
    """
    text = f"{table_name}\x00{partition_value}".encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big", signed=True)


def lock_partition_on_server(
    connection: sa.Connection, table_name: str, partition_value: Any, timeout_seconds: float
) -> None:
    """Take PostgreSQL's advisory lock for the partition until the open transaction ends.

    Call it before the DELETE: under READ COMMITTED (the default, kept by the engine) the DELETE then
    takes its snapshot after the previous writer committed, so it removes that writer's rows.
    """
    connection.execute(
        sa.text("SELECT set_config('lock_timeout', :wait, true)"), {"wait": f"{max(1, int(timeout_seconds * 1000))}ms"}
    )
    try:
        connection.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": partition_lock_key(table_name, partition_value)}
        )
    except sa.exc.OperationalError as error:
        if getattr(error.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            raise PartitionBusyError(table_name, partition_value, timeout_seconds) from error
        raise


class _LocksInProcess:
    """One lock per key while anyone holds or waits for it; forgotten when the last one leaves."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[tuple, tuple[threading.Lock, int]] = {}

    @contextmanager
    def held(self, key: tuple, timeout_seconds: float) -> Iterator[bool]:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        acquired = lock.acquire(timeout=timeout_seconds)
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()
            with self._guard:
                lock, users = self._locks[key]
                if users == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


_IN_PROCESS = _LocksInProcess()


@contextmanager
def lock_partition_in_process(
    database: str, table_name: str, partition_value: Any, timeout_seconds: float
) -> Iterator[None]:
    """Hold this process's lock for the partition of `table_name` in `database` (a file path or URL)."""
    with _IN_PROCESS.held((database, table_name, str(partition_value)), timeout_seconds) as acquired:
        if not acquired:
            raise PartitionBusyError(table_name, partition_value, timeout_seconds)
        yield
