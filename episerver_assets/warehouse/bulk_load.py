"""Each engine's fast path for loading Arrow data inside an open transaction.

DuckDB scans a registered Arrow table directly; PostgreSQL receives CSV through COPY FROM STDIN.
Never row-by-row INSERTs: measured here they are 15 to 30 times slower.
"""

from __future__ import annotations

import io
import itertools

import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa

_COPY_CHUNK_ROWS = 200_000
_registered_names = itertools.count()


def _quoted(connection: sa.Connection, table: sa.Table) -> tuple[str, str]:
    preparer = connection.dialect.identifier_preparer
    columns = ", ".join(preparer.quote(c.name) for c in table.columns)
    return preparer.format_table(table), columns


def load_arrow(connection: sa.Connection, table: sa.Table, data: pa.Table | pa.RecordBatch) -> int:
    """Append `data` (columns named as the table's, any order) to `table`; returns the row count."""
    missing = [c.name for c in table.columns if c.name not in data.schema.names]
    if missing:
        raise ValueError(f"data for table {table.fullname} lacks columns {missing}")
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    data = data.select([c.name for c in table.columns])
    if data.num_rows == 0:
        return 0
    if connection.dialect.name == "duckdb":
        _load_duckdb(connection, table, data)
    else:
        _load_postgres(connection, table, data)
    return data.num_rows


def _load_duckdb(connection: sa.Connection, table: sa.Table, data: pa.Table) -> None:
    target, columns = _quoted(connection, table)
    duck = connection.connection.driver_connection
    name = f"arrow_source_{next(_registered_names)}"
    duck.register(name, data)
    try:
        connection.exec_driver_sql(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {name}")
    finally:
        duck.unregister(name)


def _load_postgres(connection: sa.Connection, table: sa.Table, data: pa.Table) -> None:
    target, columns = _quoted(connection, table)
    cursor = connection.connection.driver_connection.cursor()
    # Strings are always quoted by Arrow's writer and nulls left bare, so COPY tells "" from NULL.
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    with cursor.copy(f"COPY {target} ({columns}) FROM STDIN (FORMAT csv)") as copy:
        for start in range(0, data.num_rows, _COPY_CHUNK_ROWS):
            buffer = io.BytesIO()
            pacsv.write_csv(data.slice(start, _COPY_CHUNK_ROWS), buffer, write_options=options)
            copy.write(buffer.getbuffer())
