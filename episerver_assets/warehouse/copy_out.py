"""A PostgreSQL query's result as Arrow, through `COPY (query) TO STDOUT` in CSV, parsed by pyarrow.

For text and integer columns this is exact and costs about a third of fetching the rows through a
cursor and turning them into columns (1,000,000 CRM contacts, ten columns: 2.8 s against 5.9 to 9.9 s).
Exact because every non-NULL value is quoted (FORCE_QUOTE: also one starting with U+FEFF, which the
reader would take for a byte order mark at the start of the data), NULL is written unquoted and empty,
and the bytes are UTF-8 whatever the session's encoding; the reader is told exactly that (only an
unquoted empty field is NULL: "NA" or "null" stay text) and is given every column's type, so nothing is
inferred ("00123" stays text). Other column types (timestamps, dates) would be converted by their text
form, so callers use a cursor for those.
"""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa

from .bulk_load import arrow_type


def arrow_type_of(column: sa.ColumnElement) -> pa.DataType | None:
    """The Arrow type a text or integer column arrives in exactly through CSV (the bulk load's); None for
    the other types."""
    return arrow_type(column) if isinstance(column.type, sa.String | sa.Integer) else None


def copy_out(driver_connection, sql: str, types: dict[str, pa.DataType]) -> pa.Table:
    """Run `sql` (literal SQL, columns named as `types`' keys) on a psycopg connection; its rows as Arrow."""
    buffer = io.BytesIO()
    with driver_connection.cursor() as cursor, cursor.copy(
            f"COPY ({sql}) TO STDOUT (FORMAT csv, FORCE_QUOTE *, ENCODING 'UTF8')") as copy:
        for chunk in copy:
            buffer.write(chunk)
    if not buffer.tell():  # no rows: pyarrow refuses an empty file
        return pa.table({name: pa.array([], arrow) for name, arrow in types.items()})
    buffer.seek(0)
    try:
        return pacsv.read_csv(
            buffer,
            read_options=pacsv.ReadOptions(column_names=list(types), block_size=16 << 20),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types=types, null_values=[""], strings_can_be_null=True,
                                                 quoted_strings_can_be_null=False))
    except pa.ArrowInvalid as error:  # its message quotes the row: addresses and names stay out of it
        reason = str(error).split(":", 1)[0]
        raise ValueError(f"the query's rows did not read as the columns {', '.join(types)}: {reason}") from None
