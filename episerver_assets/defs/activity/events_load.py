"""Writing events and rejects: bulk-loaded into a temporary table, then inserted where their key is new.

Both engines take the same statements: the data goes in by each engine's fast path (`load_arrow`),
and `INSERT ... SELECT ... WHERE NOT EXISTS ... ON CONFLICT DO NOTHING` keeps one row per key, so a
repeated run, or an event delivered again in a later run, inserts nothing twice. A day is written
under its partition lock, the same one `replace_partition` takes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ...warehouse import WarehouseResource
from ...warehouse.bulk_load import load_arrow
from ...warehouse.indexes import create_missing_indexes
from .activity_tables import PARTITION_COLUMN, episerver_activity, episerver_activity_rejects

# PostgreSQL only: DuckDB's zone maps already skip other days, and an index would slow its inserts.
event_date_index = sa.Index("ix_episerver_activity_event_date", episerver_activity.c[PARTITION_COLUMN])


@dataclass(frozen=True)
class DayWritten:
    day: dt.date
    inserted: int
    row_count: int


def ensure_activity_tables(warehouse: WarehouseResource) -> None:
    warehouse.ensure_table(episerver_activity, episerver_activity_rejects)
    if warehouse.dialect == "postgresql":
        with warehouse.ddl() as connection:
            create_missing_indexes(connection, [event_date_index])


def _staging_table(table: sa.Table) -> sa.Table:
    columns = [sa.Column(c.name, c.type) for c in table.columns]
    return sa.Table(f"{table.name}_staging", sa.MetaData(), *columns, prefixes=["TEMPORARY"])


def insert_new(connection: sa.Connection, table: sa.Table, data: pa.Table) -> int:
    """Insert the rows of `data` whose primary key `table` does not hold yet; returns how many."""
    if data.num_rows == 0:
        return 0
    staging = _staging_table(table)
    # Created and dropped inside the caller's transaction: a failure rolls it back with everything else.
    connection.execute(sa.schema.CreateTable(staging))
    load_arrow(connection, staging, data)
    same_key = sa.and_(*(key == staging.c[key.name] for key in table.primary_key.columns))
    new_rows = sa.select(*staging.columns).where(~sa.exists().where(same_key))
    inserted = connection.execute(sa.select(sa.func.count()).select_from(new_rows.subquery())).scalar_one()
    names = [c.name for c in table.columns]
    connection.execute(postgresql.insert(table).from_select(names, new_rows).on_conflict_do_nothing())
    connection.execute(sa.schema.DropTable(staging))
    return int(inserted)


def write_day(
    warehouse: WarehouseResource, day: dt.date, data: pa.Table, replacing_through: int | None = None
) -> DayWritten:
    """Add the day's new events; when rebuilding, first drop the day's rows from landed ids up to
    `replacing_through` (the ones the rebuild has read again), keeping any a later run added."""
    t = episerver_activity
    on_day = t.c[PARTITION_COLUMN] == day
    with warehouse.exclusive_partition(t, day) as connection:
        if replacing_through is not None:
            connection.execute(sa.delete(t).where(on_day, t.c.landed_request_id <= replacing_through))
        inserted = insert_new(connection, t, data)
        row_count = connection.execute(sa.select(sa.func.count()).select_from(t).where(on_day)).scalar_one()
    return DayWritten(day, inserted, int(row_count))


def write_rejects(warehouse: WarehouseResource, data: pa.Table) -> int:
    with warehouse.begin() as connection:
        return insert_new(connection, episerver_activity_rejects, data)
