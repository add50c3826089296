"""The load stages of the closed-loop ingest benchmark: ours (`load_response_file`) and the engines' own.

Ours runs as the run does once a file's bytes are there: one held warehouse connection, the tables
ensured once, then file after file, each handed to `load_response_file` as a finished download (the
local file's bytes are put into the run's download spool beforehand, untimed). Its wall time is split
into the time inside the engine's insert (`load_arrow`) and the rest (waiting for the reader, delete,
ledger, commit). The reference loads the same local files into tables of our exact definition, one
transaction per file: DuckDB `read_csv` + INSERT, PostgreSQL `COPY FROM STDIN (FORMAT csv)`.

On PostgreSQL the server backend's CPU seconds are read from /proc when the server runs on this
machine: on a shared 2-core machine they compare the engines' work more steadily than wall time.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

import episerver_assets.warehouse.resource as warehouse_module
from episerver_assets.campaign.sftp import RemoteFile
from episerver_assets.defs.closed_loop.ledger import loaded_files
from episerver_assets.defs.closed_loop.loading import load_response_file
from episerver_assets.defs.closed_loop.spool import DownloadSpool
from episerver_assets.defs.closed_loop.schemas import (
    RESPONSE_TABLES,
    ResponseTable,
    parse_file_name,
)
from episerver_assets.defs.closed_loop.warehouse_tables import (
    PARTITION_COLUMN,
    warehouse_table,
)
from episerver_assets.warehouse import WarehouseResource

REFERENCE_SCHEMA = "closed_loop_reference"
COPY_CHUNK_BYTES = 1 << 20
_DUCKDB_TYPES = {"int64": "BIGINT", "string": "VARCHAR", "timestamp[us]": "TIMESTAMP"}


def response_files(directory: Path) -> list[tuple[Path, ResponseTable]]:
    """The day's files, largest first so a slow stage shows early."""
    found = [(path, parse_file_name(path.name)) for path in directory.glob("*.csv")]
    files = [(path, parsed[1]) for path, parsed in found if parsed is not None]
    return sorted(files, key=lambda item: -item[0].stat().st_size)


@contextmanager
def backend_cpu(warehouse: WarehouseResource) -> Iterator[dict]:
    """CPU seconds of the PostgreSQL backend serving the held connection, when /proc shows it."""
    spent: dict = {}
    stat = None
    if warehouse.dialect == "postgresql":
        stat = Path(f"/proc/{warehouse.scalar('SELECT pg_backend_pid()')}/stat")
    before = _cpu_seconds(stat)
    yield spent
    after = _cpu_seconds(stat)
    if before is not None and after is not None:
        spent["server_cpu_seconds"] = after - before


def _cpu_seconds(stat: Path | None) -> float | None:
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split() if stat else None
    except OSError:  # the server runs elsewhere
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else None


def _timed_calls(function: Callable, spent: list[float]) -> Callable:
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    return timed


def clear_partitions(warehouse: WarehouseResource, tables: list[sa.Table], day: dt.date) -> None:
    """Untimed: empty the day's partitions (and vacuum them on PostgreSQL), so that every run and
    the reference start alike, whatever an earlier run left behind."""
    warehouse.ensure_table(*tables)
    with warehouse.begin() as connection:
        for table in tables:
            connection.execute(sa.delete(table).where(table.c[PARTITION_COLUMN] == day))
    if warehouse.dialect == "postgresql":
        with warehouse.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in tables:
                connection.exec_driver_sql(f"VACUUM {table.fullname}")


def downloaded(path: Path, scratch: Path) -> DownloadSpool:
    """A spool holding the local file's bytes, as the run's download leaves it."""
    stat = path.stat()
    mtime = dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc)
    spool = DownloadSpool(RemoteFile(path.name, stat.st_size, mtime), scratch)
    with path.open("rb") as source:
        while chunk := source.read(COPY_CHUNK_BYTES):
            spool.write(chunk)
    spool.finish()
    return spool


def forget_loads(warehouse: WarehouseResource, day: dt.date) -> None:
    """Untimed: empty the day's partitions and its ledger rows, so that a load loads every file again
    instead of finding the bytes it loaded last time unchanged."""
    clear_partitions(warehouse, [warehouse_table(t) for t in RESPONSE_TABLES.values()], day)
    warehouse.ensure_table(loaded_files)
    with warehouse.begin() as connection:
        connection.execute(sa.delete(loaded_files).where(loaded_files.c[PARTITION_COLUMN] == day))


def stage_load(directory: Path, day: dt.date, url: str) -> dict:
    warehouse = WarehouseResource(url=url)
    forget_loads(warehouse, day)
    inserting, seconds, rows = [0.0], 0.0, 0
    warehouse_module.load_arrow = _timed_calls(warehouse_module.load_arrow, inserting)
    files = response_files(directory)
    scratch = directory.parent / f"{directory.name}.spool"
    scratch.mkdir(exist_ok=True)
    with warehouse.session(), backend_cpu(warehouse) as server:
        warehouse.ensure_table(*(warehouse_table(t) for t in RESPONSE_TABLES.values()))
        for path, table in files:
            spool = downloaded(path, scratch)
            try:
                start = time.perf_counter()
                loaded = load_response_file(warehouse, table, day, spool)
                seconds += time.perf_counter() - start
            finally:
                spool.close()
            rows += loaded.rows
    stored = sum(warehouse.row_count(warehouse_table(t), PARTITION_COLUMN, day) for _, t in files)
    if stored != rows:
        raise SystemExit(f"load stored {stored} rows, expected {rows}")
    return {"rows": rows, "seconds": seconds, "insert": inserting[0], **server}


def reference_table(table: ResponseTable) -> sa.Table:
    """Our warehouse table's exact definition, in a schema of its own."""
    return warehouse_table(table).to_metadata(sa.MetaData(), schema=REFERENCE_SCHEMA)


def _reference_duckdb(connection: sa.Connection, target: sa.Table, table: ResponseTable, path: Path, day: dt.date):
    columns = ", ".join(f"'{c.name}': '{_DUCKDB_TYPES[str(c.arrow_type)]}'" for c in table.columns)
    names = ", ".join([*table.column_names, PARTITION_COLUMN])
    connection.exec_driver_sql(
        f"INSERT INTO {REFERENCE_SCHEMA}.{target.name} ({names}) SELECT *, DATE '{day.isoformat()}' FROM "
        f"read_csv('{path}', delim=';', quote='\"', header=true, columns={{{columns}}})"
    )


def _reference_postgres(connection: sa.Connection, target: sa.Table, table: ResponseTable, path: Path, day: dt.date):
    # The partition column takes its value from a default, as COPY cannot add a constant column.
    connection.exec_driver_sql(
        f"ALTER TABLE {REFERENCE_SCHEMA}.{target.name} ALTER {PARTITION_COLUMN} SET DEFAULT '{day.isoformat()}'"
    )
    cursor = connection.connection.driver_connection.cursor()
    names = ", ".join(table.column_names)
    sql = f"COPY {REFERENCE_SCHEMA}.{target.name} ({names}) FROM STDIN (FORMAT csv, DELIMITER ';', HEADER true)"
    with cursor.copy(sql) as copy, path.open("rb") as source:
        while chunk := source.read(COPY_CHUNK_BYTES):
            copy.write(chunk)


def stage_reference(directory: Path, day: dt.date, url: str) -> dict:
    warehouse = WarehouseResource(url=url)
    load = _reference_duckdb if warehouse.dialect == "duckdb" else _reference_postgres
    files = [(path, table, reference_table(table)) for path, table in response_files(directory)]
    clear_partitions(warehouse, [target for _, _, target in files], day)
    with warehouse.session(), backend_cpu(warehouse) as server:
        start = time.perf_counter()
        warehouse.ensure_table(*(target for _, _, target in files))
        for path, table, target in files:
            with warehouse.begin() as connection:
                connection.execute(sa.delete(target).where(target.c[PARTITION_COLUMN] == day))
                load(connection, target, table, path, day)
        seconds = time.perf_counter() - start
    rows = sum(warehouse.row_count(target, PARTITION_COLUMN, day) for _, _, target in files)
    return {"rows": rows, "seconds": seconds, **server}
