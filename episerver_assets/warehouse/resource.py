"""The warehouse as a Dagster resource: table creation, bulk loads, atomic partition replace, reads."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from functools import cached_property
from typing import Any

import dagster as dg
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from pydantic import PrivateAttr

from ..settings import resolved
from .bulk_load import load_arrow
from .engines import create_warehouse_engine, default_warehouse_url, describe_url
from .locking import retry_on_embedded_lock
from .partition_lock import lock_partition_in_process, lock_partition_on_server


ArrowData = pa.Table | pa.RecordBatch | pd.DataFrame


def _as_arrow(data: ArrowData) -> pa.Table | pa.RecordBatch:
    if isinstance(data, pd.DataFrame):
        return pa.Table.from_pandas(data, preserve_index=False)
    return data


class WarehouseResource(dg.ConfigurableResource):
    """SQLAlchemy access to the warehouse: embedded DuckDB by default, PostgreSQL in production.

    Set EPISERVER_WAREHOUSE_URL to `postgresql://user@host/db` (psycopg 3) or `duckdb:///path/file.duckdb`.
    """

    url: str = ""
    lock_timeout_seconds: float = 60.0
    partition_lock_timeout_seconds: float = 600.0
    """How long a partition replace waits for another writer of the same partition before failing with
    PartitionBusyError (naming table and partition); on the embedded engine, also how long it waits
    for another process's file lock."""

    _engine: sa.Engine | None = PrivateAttr(default=None)
    _held: sa.Connection | None = PrivateAttr(default=None)

    @cached_property
    def resolved_url(self) -> str:
        return resolved(self.url) or default_warehouse_url()

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = create_warehouse_engine(self.resolved_url)
        return self._engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def describe(self) -> str:
        return describe_url(self.resolved_url)

    def _connect(self, wait_seconds: float | None = None) -> sa.Connection:
        return retry_on_embedded_lock(self.engine.connect, wait_seconds or self.lock_timeout_seconds)

    @contextmanager
    def session(self):
        """Keep one connection for the transactions inside this block.

        Opening the embedded file costs tens of milliseconds, so a step that loads many partitions
        holds one connection (and DuckDB's file lock) for its duration instead of one per call.
        """
        if self._held is not None:
            yield
            return
        self._held = self._connect()
        try:
            yield
        finally:
            self._held.close()
            self._held = None

    @contextmanager
    def begin(self, wait_seconds: float | None = None):
        """One transaction; on the embedded engine, waits for another process's write lock
        (`wait_seconds`, default lock_timeout_seconds)."""
        if self._held is not None:
            with self._held.begin():
                yield self._held
            return
        connection = self._connect(wait_seconds)
        try:
            with connection.begin():
                yield connection
        finally:
            connection.close()

    @contextmanager
    def ddl(self):
        """A transaction for CREATE ... IF NOT EXISTS statements, safe from concurrent runs: two sessions'
        statements can both pass the check and collide on PostgreSQL's catalog, so one at a time there."""
        with self.begin() as connection:
            if connection.dialect.name == "postgresql":
                lock_partition_on_server(connection, "warehouse tables", "DDL", self.partition_lock_timeout_seconds)
            yield connection

    def ensure_table(self, *tables: sa.Table) -> None:
        """Create the tables (and their schemas) that do not exist; safe to call from concurrent runs."""
        with self.ddl() as connection:
            for schema in sorted({t.schema for t in tables if t.schema}):
                connection.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
            for table in tables:
                connection.execute(sa.schema.CreateTable(table, if_not_exists=True))

    def replace_partition(
        self,
        table: sa.Table,
        partition_column: str,
        partition_value: Any,
        batches: ArrowData | Iterable[ArrowData],
        in_transaction: Callable[[sa.Connection, int], None] | None = None,
    ) -> int:
        """Delete the partition's rows and insert the new ones in one transaction.

        `in_transaction(connection, rows)` runs after the inserts, before the commit: what it writes
        (e.g. a record of the load) commits or rolls back with the rows.

        `batches` may be a lazy iterator (a large file read batch by batch): if it raises half-way,
        the transaction rolls back and the partition keeps its previous contents. Replaces of the
        same (table, partition) run one after the other, whichever process or thread starts them:
        the later one waits (up to partition_lock_timeout_seconds) and then replaces the earlier's rows.
        """
        if isinstance(batches, pa.Table | pa.RecordBatch | pd.DataFrame):
            batches = [batches]
        with self.exclusive_partition(table, partition_value) as connection:
            column = table.c[partition_column]
            connection.execute(sa.delete(table).where(column == partition_value))
            rows = sum(load_arrow(connection, table, _as_arrow(batch)) for batch in batches)
            if in_transaction is not None:
                in_transaction(connection, rows)
            return rows

    @contextmanager
    def exclusive_partition(self, table: sa.Table, partition_value: Any):
        """A transaction that holds the (table, partition) lock, taken before any statement of the block
        sees rows: writers of one partition run one after the other, in any process, on both engines."""
        wait = self.partition_lock_timeout_seconds
        if self.dialect == "postgresql":
            with self.begin(wait) as connection:
                lock_partition_on_server(connection, table.fullname, partition_value, wait)
                yield connection
            return
        # The process lock comes first: the DuckDB transaction's snapshot must follow the previous
        # writer's commit.
        database = os.path.realpath(self.engine.url.database or ":memory:")
        with lock_partition_in_process(database, table.fullname, partition_value, wait):
            with self.begin(wait) as connection:
                yield connection

    def read_frame(self, query: str | sa.Executable, **params: Any) -> pd.DataFrame:
        with self.begin() as connection:
            result = connection.execute(sa.text(query) if isinstance(query, str) else query, params)
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

    def scalar(self, query: str | sa.Executable, **params: Any) -> Any:
        with self.begin() as connection:
            return connection.execute(sa.text(query) if isinstance(query, str) else query, params).scalar()

    def row_count(self, table: sa.Table, partition_column: str | None = None, partition_value: Any = None) -> int:
        query = sa.select(sa.func.count()).select_from(table)
        if partition_column is not None:
            query = query.where(table.c[partition_column] == partition_value)
        return int(self.scalar(query))

    def check(self) -> str:
        """The cheap check used by `doctor`: connect and run one query."""
        self.scalar("SELECT 1")
        return f"{self.dialect} at {self.describe()}"

