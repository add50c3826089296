"""What the warehouse holds of each table-day: the file it was loaded from, with its SHA-256.

A row is written in the same transaction as the partition it describes, so the ledger is always the
truth about the warehouse. A run whose downloaded bytes hash to the ledger's SHA-256 records the
table-day as unchanged instead of replacing it with the same rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from ...warehouse import WarehouseResource
from .schemas import ResponseTable
from .warehouse_tables import PARTITION_COLUMN, SCHEMA, metadata

loaded_files = sa.Table(
    "loaded_files",
    metadata,
    sa.Column("table_name", sa.Text, primary_key=True, comment="closed-loop table"),
    sa.Column(PARTITION_COLUMN, sa.Date, primary_key=True, comment="the partition the file was loaded into"),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("mtime", sa.DateTime, nullable=False, comment="the file's modification time on the server (UTC)"),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("rows", sa.BigInteger, nullable=False),
    sa.Column("loaded_at", sa.DateTime, nullable=False, comment="commit time (UTC)"),
    schema=SCHEMA,
    comment="The file each partition of the closed-loop tables was loaded from.",
)


@dataclass(frozen=True)
class LedgerEntry:
    file_name: str
    size_bytes: int
    mtime: dt.datetime
    sha256: str
    rows: int


def last_load(warehouse: WarehouseResource, table: ResponseTable, day: dt.date) -> LedgerEntry | None:
    """The file the partition holds, or None if it was never loaded (or loaded before the ledger)."""
    query = sa.select(
        loaded_files.c.file_name, loaded_files.c.size_bytes, loaded_files.c.mtime, loaded_files.c.sha256,
        loaded_files.c.rows,
    ).where(loaded_files.c.table_name == table.name, loaded_files.c[PARTITION_COLUMN] == day)
    with warehouse.begin() as connection:
        row = connection.execute(query).one_or_none()
    return None if row is None else LedgerEntry(*row)


def record_load(
    connection: sa.Connection, table: ResponseTable, day: dt.date, entry: LedgerEntry
) -> None:
    """Replace the partition's ledger row inside the transaction that replaced the partition."""
    key = (loaded_files.c.table_name == table.name) & (loaded_files.c[PARTITION_COLUMN] == day)
    connection.execute(sa.delete(loaded_files).where(key))
    connection.execute(
        sa.insert(loaded_files).values(
            table_name=table.name,
            **{PARTITION_COLUMN: day},
            file_name=entry.file_name,
            size_bytes=entry.size_bytes,
            mtime=entry.mtime.astimezone(dt.timezone.utc).replace(tzinfo=None),
            sha256=entry.sha256,
            rows=entry.rows,
            loaded_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
        )
    )
