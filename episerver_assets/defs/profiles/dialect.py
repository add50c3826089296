"""The few SQL fragments that differ between DuckDB and PostgreSQL; everything else is shared text.

Text order must be by code point on both engines: DuckDB compares bytes already, PostgreSQL follows
the database's collation unless told `COLLATE "C"`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ...settings import setting_value


@dataclass(frozen=True)
class Fragments:
    name: str

    @property
    def c(self) -> str:
        """Appended to a text expression that is compared or ordered."""
        return ' COLLATE "C"' if self.name == "postgresql" else ""

    def json_string(self, expr: str) -> str:
        """A text value as a JSON string literal (both engines escape the same characters)."""
        return f"CAST(to_json({expr}) AS VARCHAR)"

    def epoch_ms(self, expr: str) -> str:
        if self.name == "postgresql":
            return f"CAST(floor(extract(epoch FROM {expr}) * 1000) AS BIGINT)"
        return f"epoch_ms({expr})"

    def json_set(self) -> str:
        """set(value) of the group: `["a","b"]`. DuckDB sorts a list per group (several times faster
        than its ordered string_agg); PostgreSQL orders the aggregate."""
        if self.name == "duckdb":
            return ("'[' || array_to_string(list_transform(list_sort(list(value)), "
                    "lambda v: CAST(to_json(v) AS VARCHAR)), ',') || ']'")
        return f"'[' || string_agg({self.json_string('value')}, ',' ORDER BY value{self.c}) || ']'"

    def json_counts(self) -> str:
        """valuect of the group, value -> events: `{"a":1,"b":2}`."""
        if self.name == "duckdb":
            return ("'{' || array_to_string(list_transform(list_sort(list(struct_pack(v := value, n := events))), "
                    "lambda x: CAST(to_json(x.v) AS VARCHAR) || ':' || CAST(x.n AS VARCHAR)), ',') || '}'")
        pair = f"{self.json_string('value')} || ':' || CAST(events AS VARCHAR)"
        return f"'{{' || string_agg({pair}, ',' ORDER BY value{self.c}) || '}}'"


def fragments(connection: sa.Connection) -> Fragments:
    name = connection.dialect.name
    if name not in ("duckdb", "postgresql"):
        raise ValueError(f"user profiles support duckdb and postgresql, not {name}")
    return Fragments(name)


def run(connection: sa.Connection, statement: str, **params) -> sa.CursorResult:
    return connection.execute(sa.text(statement), params)


def temp_table(connection: sa.Connection, name: str, select: str, **params) -> None:
    """(Re)create a temporary table from a query: pooled PostgreSQL sessions outlive a build.

    PostgreSQL's autovacuum never analyzes temporary tables: without statistics it plans nested
    loops over tables of millions of rows, so they are analyzed here."""
    run(connection, f"DROP TABLE IF EXISTS {name}")
    run(connection, f"CREATE TEMPORARY TABLE {name} AS {select}", **params)
    if connection.dialect.name == "postgresql":
        run(connection, f"ANALYZE {name}")


def drop_temp(connection: sa.Connection, *names: str) -> None:
    for name in names:
        run(connection, f"DROP TABLE IF EXISTS {name}")


def raise_duckdb_memory_limit(connection: sa.Connection) -> None:
    """DuckDB: the build's own memory limit (EPISERVER_PROFILES_DUCKDB_MEMORY_LIMIT) for the rest of the
    connection.

    The temporary tables count against the limit: at 10 M events the warehouse's default (sized for
    the closed-loop loads) made them spill, and collections, pivot and person facts took about twice
    the CPU time. The limit is not lowered again inside the build's transaction: that made DuckDB
    write the uncommitted rows out to temporary files first (9 s at 10 M events). The warehouse's
    engine closes every connection after use (NullPool), and the next one opens with its own limit."""
    if connection.dialect.name == "duckdb":
        run(connection, f"SET memory_limit = '{setting_value('EPISERVER_PROFILES_DUCKDB_MEMORY_LIMIT')}'")
