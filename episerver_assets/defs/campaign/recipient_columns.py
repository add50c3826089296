"""The attribute columns of `campaign.episerver_recipients`: added when first chosen, shown in the UI.

A newly chosen field is added with `ALTER TABLE ... ADD COLUMN IF NOT EXISTS` (the same statement on
DuckDB and PostgreSQL). A field no longer chosen keeps its column (other lists, or older rows, may
still use it); the next full pass of a list empties it there.
"""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa

from ...warehouse import WarehouseResource
from ...warehouse.partition_lock import lock_partition_on_server
from .attribute_columns import PREFIX
from .recipient_tables import episerver_recipients, import_state

_SQL_TYPES = {sa.BigInteger: "bigint", sa.DateTime: "timestamptz", sa.Text: "text"}


def columns_in_warehouse(connection: sa.Connection, table: sa.Table) -> list[str]:
    """The table's column names as the database has them (none if it does not exist); from
    information_schema, which both engines answer (SQLAlchemy's reflection does not work on DuckDB)."""
    query = sa.text("SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = :schema AND table_name = :table")
    return [row[0] for row in connection.execute(query, {"schema": table.schema, "table": table.name})]


def attribute_columns_in_warehouse(connection: sa.Connection) -> list[str]:
    return sorted(c for c in columns_in_warehouse(connection, episerver_recipients) if c.startswith(PREFIX))


def prepare_table(warehouse: WarehouseResource, chosen_columns: list[str]) -> sa.Table:
    """Create the tables if needed, add the chosen attribute columns that are missing, and return the
    recipients table with every attribute column it now has."""
    warehouse.ensure_table(episerver_recipients, import_state)
    with warehouse.begin() as connection:
        missing = sorted(set(chosen_columns) - set(attribute_columns_in_warehouse(connection)))
        if missing and connection.dialect.name == "postgresql":
            # The same DDL lock as ensure_table: concurrent catalog changes collide on PostgreSQL.
            lock_partition_on_server(connection, "warehouse tables", "DDL", warehouse.partition_lock_timeout_seconds)
        target = connection.dialect.identifier_preparer.format_table(episerver_recipients)
        for column in missing:
            connection.execute(sa.text(f"ALTER TABLE {target} ADD COLUMN IF NOT EXISTS {column} TEXT"))
        present = attribute_columns_in_warehouse(connection)
    return with_attribute_columns(present)


def with_attribute_columns(columns: list[str]) -> sa.Table:
    """The recipients table as SQLAlchemy sees it with these `attr_` columns, in its own metadata."""
    table = episerver_recipients.to_metadata(sa.MetaData())
    for column in columns:
        table.append_column(sa.Column(column, sa.Text))
    return table


def column_schema(field_columns: dict[str, str]) -> dg.TableSchema:
    """The fixed columns, then each chosen field's column described by the Campaign field it holds."""
    fixed = [
        dg.TableColumn(
            name=column.name,
            type=next(name for kind, name in _SQL_TYPES.items() if isinstance(column.type, kind)),
            description=column.comment,
            constraints=dg.TableColumnConstraints(nullable=column.nullable),
        )
        for column in episerver_recipients.columns
    ]
    attributes = [
        dg.TableColumn(name=column, type="text", description=f"Campaign recipient list field `{field}`")
        for field, column in sorted(field_columns.items(), key=lambda item: item[1])
    ]
    key = ", ".join(c.name for c in episerver_recipients.primary_key.columns)
    return dg.TableSchema(columns=fixed + attributes, constraints=dg.TableConstraints(other=[f"primary key ({key})"]))
