"""Ensuring indexes that exist does not wait for a session holding the table's vacuum lock.

`CREATE INDEX IF NOT EXISTS` takes a SHARE lock before it looks for the index, so it queued behind an
autovacuum (which holds SHARE UPDATE EXCLUSIVE) even when there was nothing to create. The test holds that
lock in a transaction of its own, as autovacuum would, and ensures the export tables and indexes again.
"""

from __future__ import annotations

import threading

import psycopg
import sqlalchemy as sa

from episerver_assets.defs.exports.tables import POSTGRESQL_INDEXES, ensure_export_tables, plan_rows
from episerver_assets.warehouse import WarehouseResource


def _index_names(url: str) -> set[str]:
    with sa.create_engine(url).connect() as connection:
        return set(connection.execute(sa.text("SELECT indexname FROM pg_indexes WHERE schemaname = 'exports'"))
                   .scalars())


def test_existing_indexes_are_not_created_again_behind_a_vacuum_lock(postgres_url):
    warehouse = WarehouseResource(url=postgres_url)
    ensure_export_tables(warehouse)
    assert {index.name for index in POSTGRESQL_INDEXES} <= _index_names(postgres_url)

    vacuum_like = psycopg.connect(postgres_url.replace("postgresql+psycopg", "postgresql"))
    try:
        vacuum_like.execute(f"LOCK TABLE {plan_rows.fullname} IN SHARE UPDATE EXCLUSIVE MODE")
        again = threading.Thread(target=ensure_export_tables, args=(warehouse,), daemon=True)
        again.start()
        again.join(timeout=30)
        assert not again.is_alive(), "ensuring the export tables waited for the lock autovacuum would hold"
    finally:
        vacuum_like.rollback()
        vacuum_like.close()
    warehouse.engine.dispose()
