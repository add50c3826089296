"""A query as the literal SQL a driver's own calls take, and DuckDB's result of it as Arrow.

DuckDB's Arrow result and PostgreSQL's COPY (`copy_out`) take SQL text, not bound parameters: the values
are rendered by SQLAlchemy's literal rendering, which quotes strings (a quote in a recipient id is
doubled), so no value can change the statement.
"""

from __future__ import annotations

import pyarrow as pa
import sqlalchemy as sa


def literal_sql(connection: sa.Connection, query: sa.Select) -> str:
    return str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))


def duckdb_arrow(connection: sa.Connection, query: sa.Select) -> pa.Table:
    """The result as Arrow columns, without a Python object per value."""
    return connection.connection.driver_connection.sql(literal_sql(connection, query)).to_arrow_table()
