"""Load one response file into its table partition while it downloads: validate, replace atomically.

Three threads per file: the download writes the spool, the reader parses and validates the bytes
received so far (a bounded queue ahead), and the caller's thread inserts into the warehouse, where
the partition and its ledger row are replaced in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa

from ...pgp import Keyring, PgpError
from ...warehouse import WarehouseResource
from .decryption import readable_spool
from .ledger import LedgerEntry, last_load, record_load
from .reader import iter_response_batches
from .reader.arrow_batches import read_ahead
from .schemas import ResponseTable
from .spool import DownloadCancelled, DownloadSpool
from .warehouse_tables import PARTITION_COLUMN, warehouse_table, with_partition_date

PREVIEW_ROWS = 5
LOAD_BATCH_ROWS = 250_000
"""Rows per engine insert: measured on 10 M rows, 100k-row inserts took twice as long in DuckDB."""
VALIDATED_AHEAD = 2
"""Validated batches waiting for the insert: bounds memory to about three batches per file."""


@dataclass(frozen=True)
class LoadedFile:
    """A table-day the warehouse now holds: loaded from `file`, or `unchanged` since its last load."""

    file: str
    table: ResponseTable
    day: dt.date
    rows: int
    size_bytes: int
    sha256: str
    delivered_at: dt.datetime
    transferred_bytes: int
    unchanged: bool
    preview: pa.Table


def _validated_batches(spool: DownloadSpool, table: ResponseTable) -> Iterator[pa.RecordBatch]:
    """The reader parses the bytes as they arrive; it opens `spool.path` only to explain a failure."""
    return iter_response_batches(spool.path, table, LOAD_BATCH_ROWS, stream=spool.reader())


def _unchanged(spool: DownloadSpool, table: ResponseTable, day: dt.date, previous: LedgerEntry) -> LoadedFile:
    return LoadedFile(spool.remote.name, table, day, previous.rows, spool.remote.size, previous.sha256,
                      spool.remote.mtime, spool.received_bytes, True, table.arrow_schema.empty_table())


def load_response_file(
    warehouse: WarehouseResource, table: ResponseTable, day: dt.date, spool: DownloadSpool,
    keyring: Keyring | None = None,
) -> LoadedFile:
    """Replace `day`'s partition of `table` (which must exist) with the file's rows, unless the file
    is byte for byte the one the partition was loaded from. An encrypted file is decrypted with
    `keyring` as it arrives (see decryption.py). Raises ResponseFileError (or the download's error,
    or PgpError) and writes nothing when the file is invalid or its transfer or decryption fails."""
    previous = last_load(warehouse, table, day)
    if previous is not None and previous.size_bytes == spool.remote.size:
        # Possibly the same bytes: hash the download before loading anything.
        if spool.wait() == previous.sha256:
            return _unchanged(spool, table, day, previous)
    with readable_spool(spool, keyring) as readable:
        return _load(warehouse, table, day, spool, readable)


def _load(warehouse: WarehouseResource, table: ResponseTable, day: dt.date, spool: DownloadSpool,
          readable: DownloadSpool) -> LoadedFile:
    """Load the rows `readable` holds; the ledger records the bytes of `spool` as delivered."""
    previews: list[pa.RecordBatch] = []
    validated = read_ahead(_validated_batches(readable, table), VALIDATED_AHEAD)  # validation off this thread

    def rows() -> Iterator[pa.RecordBatch]:
        for batch in validated:
            if not previews:
                previews.append(batch.slice(0, PREVIEW_ROWS))
            yield with_partition_date(batch, day)

    def record(connection, row_count: int) -> None:
        sha256 = spool.wait()  # the reader reached the end: the download has finished
        # The bytes received, not the listing's size: the file may have been replaced since.
        record_load(connection, table, day,
                    LedgerEntry(spool.remote.name, spool.tell(), spool.remote.mtime, sha256, row_count))

    try:
        row_count = warehouse.replace_partition(
            warehouse_table(table), PARTITION_COLUMN, day, rows(), in_transaction=record
        )
    except BaseException as error:
        spool.cancel()
        if spool.error is not None and not isinstance(spool.error, DownloadCancelled):
            raise spool.error from error  # the transfer failed: the reader's error is only its echo
        if isinstance(readable.error, PgpError):
            raise readable.error from error  # likewise for a decryption that failed
        raise
    finally:
        validated.close()
    preview = pa.Table.from_batches(previews, schema=table.arrow_schema)
    return LoadedFile(spool.remote.name, table, day, row_count, spool.tell(), spool.wait(),
                      spool.remote.mtime, spool.received_bytes, False, preview)
