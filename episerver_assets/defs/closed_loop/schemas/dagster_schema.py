"""Dagster's column schema of a response table, read off the same model that validates the file."""

from __future__ import annotations

import dagster as dg
import pyarrow

from .tables import ColumnSpec, ResponseTable, response_table


def sql_type_name(arrow_type: pyarrow.DataType) -> str:
    """The warehouse type of a column, as the UI shows it (the same names as `sql_schema.py` creates)."""
    if pyarrow.types.is_int64(arrow_type):
        return "bigint"
    if pyarrow.types.is_timestamp(arrow_type):
        return "timestamp"
    if pyarrow.types.is_string(arrow_type):
        return "text"
    raise TypeError(f"no warehouse type for Arrow type {arrow_type}")


def _constraints(column: ColumnSpec, table: ResponseTable) -> dg.TableColumnConstraints:
    other = [f"wire name: {column.wire_name}"]
    if column.allowed_values is not None:
        other.append(f"one of: {', '.join(column.allowed_values)}")
    other += [
        f"foreign key -> {fk.references_table}.{fk.references_column}"
        for fk in table.foreign_keys
        if fk.column == column.name
    ]
    return dg.TableColumnConstraints(nullable=column.nullable, unique=column.unique, other=other)


def dagster_table_schema(table: ResponseTable | str) -> dg.TableSchema:
    """`dg.TableSchema` for the asset's `dagster/column_schema` metadata; ids as bigint, times as timestamp."""
    table = response_table(table)
    columns = [
        dg.TableColumn(
            name=column.name,
            type=sql_type_name(column.arrow_type),
            description=column.description,
            constraints=_constraints(column, table),
        )
        for column in table.columns
    ]
    other = [
        f"foreign key ({fk.column}) -> {fk.references_table}({fk.references_column})" for fk in table.foreign_keys
    ]
    if table.primary_key:
        other.insert(0, f"primary key ({', '.join(table.primary_key)})")
    return dg.TableSchema(columns=columns, constraints=dg.TableConstraints(other=other))
