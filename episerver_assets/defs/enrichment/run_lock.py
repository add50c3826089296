"""One run per enrichment at a time: two runs would both find the same members due and send them twice.

PostgreSQL: a session-level advisory lock on a connection of its own, held for the whole run (the
run commits many transactions). DuckDB: the file admits one writing process, so a lock inside the
process is enough. A second run fails at once, naming the enrichment.
"""

from __future__ import annotations

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
    database = os.path.realpath(warehouse.engine.url.database or ":memory:")
    with ExitStack() as held:
        try:
            held.enter_context(lock_partition_in_process(database, LOCK_NAME, slug, 0))
        except PartitionBusyError:
            raise _busy(slug) from None
        yield
