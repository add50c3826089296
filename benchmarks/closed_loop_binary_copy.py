"""PostgreSQL's fastest ingest, a reference stage of the closed-loop ingest benchmark: binary `COPY` of
rows encoded beforehand.

Untimed, the day's files are parsed by our reader and encoded by pgpq into PostgreSQL's binary COPY
format, one file per table (the encode time is reported, not counted). Timed: for each table, in one
transaction, the day's partition is deleted and the encoded bytes are sent with
`COPY ... FROM STDIN (FORMAT binary)`. Nothing is parsed, validated or encoded while the clock runs:
what remains is the server's own work and the bytes on the socket.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pyarrow as pa
import sqlalchemy as sa
from closed_loop_loads import (
    COPY_CHUNK_BYTES,
    REFERENCE_SCHEMA,
    backend_cpu,
    clear_partitions,
    reference_table,
    response_files,
)

from episerver_assets.defs.closed_loop.reader import iter_response_batches
from episerver_assets.defs.closed_loop.schemas import ResponseTable
from episerver_assets.defs.closed_loop.warehouse_tables import PARTITION_COLUMN, with_partition_date
from episerver_assets.warehouse import WarehouseResource
from episerver_assets.warehouse.bulk_load import _postgres_types


def encode(path: Path, table: ResponseTable, target: sa.Table, day: dt.date, out: Path) -> int:
    """The file's rows, with the partition column, as one binary COPY stream in `out`; the row count."""
    import pgpq

    encoder, rows = None, 0
    with out.open("wb") as sink:
        for batch in iter_response_batches(path, table):
            rows_of_day = pa.Table.from_batches([with_partition_date(batch, day)])
            data = _postgres_types(target, rows_of_day.select([c.name for c in target.columns]))
            if encoder is None:
                encoder = pgpq.ArrowToPostgresBinaryEncoder(data.schema)
                sink.write(encoder.write_header())
            for chunk in data.to_batches():
                sink.write(encoder.write_batch(chunk))
            rows += data.num_rows
        if encoder is not None:
            sink.write(encoder.finish())
    return rows


def _copy(connection: sa.Connection, target: sa.Table, encoded: Path) -> None:
    columns = ", ".join(c.name for c in target.columns)
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {REFERENCE_SCHEMA}.{target.name} ({columns}) FROM STDIN (FORMAT binary)") as copy:
        with encoded.open("rb") as source:
            while chunk := source.read(COPY_CHUNK_BYTES):
                copy.write(chunk)


def stage_binary_copy(directory: Path, day: dt.date, url: str) -> dict:
    warehouse = WarehouseResource(url=url)
    if warehouse.dialect != "postgresql":
        raise SystemExit("binary COPY is a PostgreSQL reference")
    files = [(path, table, reference_table(table)) for path, table in response_files(directory)]
    clear_partitions(warehouse, [target for _, _, target in files], day)
    encoded_dir = directory.parent / f"{directory.name}.pgcopy"
    encoded_dir.mkdir(exist_ok=True)
    started = time.perf_counter()
    encoded = [(target, encoded_dir / f"{table.name}.bin", path, table) for path, table, target in files]
    rows = sum(encode(path, table, target, day, out) for target, out, path, table in encoded)
    encode_seconds = time.perf_counter() - started
    with warehouse.session(), backend_cpu(warehouse) as server:
        start = time.perf_counter()
        for target, out, _, _ in encoded:
            with warehouse.begin() as connection:
                connection.execute(sa.delete(target).where(target.c[PARTITION_COLUMN] == day))
                if out.stat().st_size:
                    _copy(connection, target, out)
        seconds = time.perf_counter() - start
    stored = sum(warehouse.row_count(target, PARTITION_COLUMN, day) for target, _, _, _ in encoded)
    if stored != rows:
        raise SystemExit(f"binary COPY stored {stored} rows, expected {rows}")
    encoded_bytes = sum(out.stat().st_size for _, out, _, _ in encoded)
    for _, out, _, _ in encoded:
        out.unlink()
    return {"rows": rows, "seconds": seconds, "encode": encode_seconds, "encoded_bytes": encoded_bytes, **server}
