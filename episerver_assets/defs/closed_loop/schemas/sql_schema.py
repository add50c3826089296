"""SQLAlchemy columns of a response table's warehouse table, from the same model.

The warehouse resource adds its own `partition_date` column and decides keys and indexes: a key
declared here could not hold across partitions, where the same mailing may appear on several days.
"""

from __future__ import annotations

import pyarrow
import sqlalchemy as sa

from .tables import ResponseTable, response_table


def sqlalchemy_type(arrow_type: pyarrow.DataType) -> sa.types.TypeEngine:
    if pyarrow.types.is_int64(arrow_type):
        return sa.BigInteger()
    if pyarrow.types.is_timestamp(arrow_type):
        return sa.DateTime(timezone=arrow_type.tz is not None)
    if pyarrow.types.is_string(arrow_type):
        return sa.Text()
    raise TypeError(f"no warehouse type for Arrow type {arrow_type}")


def sqlalchemy_columns(table: ResponseTable | str) -> list[sa.Column]:
    """New Column objects (a Column belongs to one Table) for `sa.Table(name, metadata, *columns)`."""
    return [
        sa.Column(c.name, sqlalchemy_type(c.arrow_type), nullable=c.nullable, comment=c.description)
        for c in response_table(table).columns
    ]
