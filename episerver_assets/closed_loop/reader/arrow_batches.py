"""Arrow's streaming parse of the records into binary columns, read ahead on a thread."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pyarrow
import pyarrow.csv as pa_csv

from ..schemas import ResponseTable
from .errors import ResponseFileError, RowFailure
from .lines import parse_failure
from .source import BodyTail, open_binary

READ_AHEAD_BATCHES = 2
_BYTES_PER_ROW_GUESS = 128
_T = TypeVar("_T")


def _csv_options(table: ResponseTable, block_size: int):
    names = list(table.column_names)
    read = pa_csv.ReadOptions(column_names=names, block_size=block_size)
    # Blank lines are kept (as records of empty fields) so that record counts map to lines.
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


def raw_batches(path: Path, table: ResponseTable, tail: BodyTail, batch_rows: int) -> Iterator[pyarrow.RecordBatch]:
    """The records after the header as binary columns named as the warehouse's, nulls for empty fields.

    Parser errors become ResponseFileError with the line of the first malformed record.
    """
    block_size = min(max(batch_rows * _BYTES_PER_ROW_GUESS, 1 << 20), 64 << 20)
    read, parse, convert = _csv_options(table, block_size)
    try:
        stream = pyarrow.TransformInputStream(open_binary(path), tail)
        batches = iter(pa_csv.open_csv(stream, read_options=read, parse_options=parse, convert_options=convert))
        while True:
            try:
                raw = next(batches)
            except StopIteration:
                return
            yield raw
    except pyarrow.ArrowInvalid as error:
        raise ResponseFileError(path.name, [parse_failure(path, table, str(error))]) from None
    except (OSError, pyarrow.ArrowException) as error:
        raise ResponseFileError(path.name, [RowFailure(path.name, None, None, f"cannot be read: {error}")]) from None


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
