"""The eight response tables in the warehouse: the model's columns plus the partition date."""

from __future__ import annotations

import datetime as dt
import functools

import pyarrow as pa
import sqlalchemy as sa

from .schemas import ResponseTable, sqlalchemy_columns

SCHEMA = "closed_loop"
PARTITION_COLUMN = "partition_date"

metadata = sa.MetaData()


@functools.cache
def warehouse_table(table: ResponseTable) -> sa.Table:
    return sa.Table(
        table.name,
        metadata,
        *sqlalchemy_columns(table),
        sa.Column(PARTITION_COLUMN, sa.Date, nullable=False, comment="date in the response file's name"),
        schema=SCHEMA,
        comment=table.description,
    )


def with_partition_date(batch: pa.RecordBatch, day: dt.date) -> pa.RecordBatch:
    dates = pa.repeat(pa.scalar(day, pa.date32()), batch.num_rows)
    return pa.RecordBatch.from_arrays([*batch.columns, dates], names=[*batch.schema.names, PARTITION_COLUMN])
