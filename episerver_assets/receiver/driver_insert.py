"""The INSERT of a group of landed requests as the driver's own SQL and parameters.

Executing a Core insert, SQLAlchemy prepares every row's parameters through its compiler in Python;
in the writer thread that is time under the GIL taken from the event loop (measured: ~20% of the
writer's CPU per grouped commit). Handing the driver ready SQL and plain tuples or dicts through
`exec_driver_sql` skips that but keeps SQLAlchemy's transaction, events and error types. The SQL and
the one type conversion it needs (SQLite keeps times as text) come from SQLAlchemy for the store's
dialect, so SQLite and PostgreSQL share this code and readers see the same values as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from .landing_store import landed_requests

ROW_COLUMNS = ("received_at", "event_count", "content_type", "user_agent", "request_id", "body")


def _unchanged(value):
    return value


class DriverInsert:
    def __init__(self, dialect: sa.Dialect) -> None:
        statement = landed_requests.insert().inline().values({name: sa.bindparam(name) for name in ROW_COLUMNS})
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self._order = compiled.positiontup  # None when the driver takes named parameters
        time_type = landed_requests.c.received_at.type.dialect_impl(dialect)
        self._convert_time = time_type.bind_processor(dialect) or _unchanged

    def parameters(self, rows: Sequence[dict]) -> list:
        convert = self._convert_time
        if self._order is None:
            return [{**row, "received_at": convert(row["received_at"])} for row in rows]
        order = self._order
        return [tuple(convert(row[name]) if name == "received_at" else row[name] for name in order) for row in rows]

    def execute(self, connection: sa.Connection, rows: Sequence[dict]) -> None:
        """Inserts `rows` in the connection's current transaction."""
        connection.exec_driver_sql(self.sql, self.parameters(rows))
