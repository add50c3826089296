"""PostgreSQL indexes, created only when the catalog lacks them.

`CREATE INDEX IF NOT EXISTS` takes its SHARE lock on the table before it looks for the index, so even
for an index that exists it waits for an autovacuum working on the table (until the autovacuum gives
way after deadlock_timeout, a second by default): a 1 M-row export plan spent about 4 s so. The
catalog is asked first; creating stays `IF NOT EXISTS` for a session that creates it meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa


def create_missing_indexes(connection: sa.Connection, indexes: Iterable[sa.Index]) -> None:
    """PostgreSQL only; call under the warehouse's DDL lock (WarehouseResource.ddl): two sessions
    creating one index at once collide on the catalog even with IF NOT EXISTS."""
    for index in indexes:
        schema = index.table.schema
        name = f"{schema}.{index.name}" if schema else index.name
        if connection.execute(sa.text("SELECT to_regclass(:name)"), {"name": name}).scalar() is None:
            connection.execute(sa.schema.CreateIndex(index, if_not_exists=True))
