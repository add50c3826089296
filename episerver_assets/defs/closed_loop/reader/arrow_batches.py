"""Arrow's streaming parse of the records into binary columns, read ahead on a thread."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

import pyarrow
import pyarrow.csv as pa_csv

from ..schemas import ResponseTable
from .errors import ResponseFileError, RowFailure
from .source import READ_ERRORS, CheckedBody, read_failure
from .structure import StrictFormatViolation

READ_AHEAD_BATCHES = 2
BLOCK_SIZE = 1 << 20
"""Bytes Arrow parses at a time. Its reader buffers up to 32 blocks ahead, so this bounds its memory;
a longer record still parses. Measured: 1 MiB is also the fastest (fewer cache misses)."""
_T = TypeVar("_T")


class ArrowParseError(Exception):
    """Arrow rejected bytes the structure check had not (yet) rejected; the caller locates it."""


def _csv_options(table: ResponseTable, block_size: int):
    names = list(table.column_names)
    read = pa_csv.ReadOptions(column_names=names, block_size=block_size)
    # Blank lines are kept, so that a record count maps to the structure check's (which rejects them).
    parse = pa_csv.ParseOptions(
        delimiter=";", quote_char='"', double_quote=True, newlines_in_values=True, ignore_empty_lines=False
    )
    # Binary, not string: invalid UTF-8 then fails one value with its position, not the whole block.
    # Only "" is null: Arrow would also null "NULL", "NA", "nan", ... which are text here.
    convert = pa_csv.ConvertOptions(
        column_types={name: pyarrow.binary() for name in names},
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        null_values=[""],
    )
    return read, parse, convert


def _parsed_blocks(file: str, body: CheckedBody, table: ResponseTable, block_size: int) -> Iterator[pyarrow.RecordBatch]:
    read, parse, convert = _csv_options(table, block_size)
    try:
        stream = pyarrow.PythonFile(body, mode="r")
        yield from pa_csv.open_csv(stream, read_options=read, parse_options=parse, convert_options=convert)
    except StrictFormatViolation:
        raise
    except pyarrow.ArrowInvalid as error:
        raise ArrowParseError(str(error)) from None
    except (*READ_ERRORS, pyarrow.ArrowException) as error:
        raise ResponseFileError(file, [RowFailure(file, None, None, read_failure(error))]) from None


def _single_batch(batches: list[pyarrow.RecordBatch]) -> pyarrow.RecordBatch:
    return pyarrow.Table.from_batches(batches).combine_chunks().to_batches()[0]


def raw_batches(
    file: str, body: CheckedBody, table: ResponseTable, batch_rows: int, block_size: int = BLOCK_SIZE
) -> Iterator[pyarrow.RecordBatch]:
    """The records after the header in batches of `batch_rows` (the last may be shorter): binary
    columns named as the warehouse's, nulls for empty fields.

    Small parsed blocks are joined into batches, so memory stays bounded while validation still
    runs on large batches. A block that breaks the strict format stops the parse with
    StrictFormatViolation before Arrow sees it.
    """
    pending: list[pyarrow.RecordBatch] = []
    pending_rows = 0
    for block in _parsed_blocks(file, body, table, block_size):
        pending.append(block)
        pending_rows += block.num_rows
        if pending_rows < batch_rows:
            continue
        joined = _single_batch(pending)
        whole = pending_rows - pending_rows % batch_rows
        for offset in range(0, whole, batch_rows):
            yield joined.slice(offset, batch_rows)
        pending, pending_rows = [joined.slice(whole)], pending_rows - whole
    if pending_rows:
        yield _single_batch(pending)


def read_ahead(items: Iterator[_T], depth: int = READ_AHEAD_BATCHES) -> Iterator[_T]:
    """`items`, fetched by a thread up to `depth` ahead: Arrow parses the next block (without the
    GIL) while the caller validates and loads this one. Closing the result stops the thread."""
    fetched: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def fetch() -> None:
        with contextlib.closing(items):
            try:
                for item in items:
                    fetched.put((item, None))
                    if stop.is_set():
                        return
                fetched.put((done, None))
            except BaseException as error:  # handed to the consumer, raised there
                fetched.put((done, error))

    thread = threading.Thread(target=fetch, name="response-file-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item, error = fetched.get()
            if item is done:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a pending put so the thread can see `stop`
            with contextlib.suppress(queue.Empty):
                fetched.get(timeout=0.05)
        thread.join()
