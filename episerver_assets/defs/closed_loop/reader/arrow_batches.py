"""The strict parse of the records into batches of binary columns, read ahead on a thread."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

import pyarrow

from .errors import ResponseFileError, RowFailure
from .source import READ_ERRORS, ByteStream, read_failure, read_full
from .structure import ParsedBlock, StrictParser

READ_AHEAD_BATCHES = 2
PARSED_AHEAD = 4
"""Parsed blocks (about 1 MiB each) waiting to be cut into columns."""
BLOCK_SIZE = 1 << 20
"""Bytes read and parsed at a time; a record longer than this is carried into the next block."""
_T = TypeVar("_T")


def _parsed_blocks(
    file: str, source: ByteStream, first: bytes, parser: StrictParser, block_size: int
) -> Iterator[ParsedBlock]:
    """Each block's complete records, parsed; the rest is carried over. A virtual `"` after the last byte
    completes the last record (its line feed is followed by the next record's quote, as any other)."""
    carried = first
    while True:
        try:
            block = read_full(source, block_size)
        except READ_ERRORS as error:
            raise ResponseFileError(file, [RowFailure(file, None, None, read_failure(error))]) from None
        buffer = carried + (block or b'"')
        parsed = parser.parse(buffer)
        if parsed.length:
            yield parsed
        carried = buffer[parsed.length :]
        if not block:
            parser.finish(len(carried) - 1)
            return


def _single_batch(batches: list[pyarrow.RecordBatch]) -> pyarrow.RecordBatch:
    return pyarrow.Table.from_batches(batches).combine_chunks().to_batches()[0]


def raw_batches(
    file: str, source: ByteStream, first: bytes, parser: StrictParser, batch_rows: int, block_size: int = BLOCK_SIZE
) -> Iterator[pyarrow.RecordBatch]:
    """The records after the header in batches of `batch_rows` (the last may be shorter): binary
    columns named as the warehouse's, nulls for empty fields.

    Small parsed blocks are joined into batches, so memory stays bounded while validation still
    runs on large batches. The first deviation from the strict format raises StrictFormatViolation.
    Blocks are parsed on a thread of their own and cut into columns on this one (numpy and Arrow
    release the GIL, so the two overlap with each other and with the caller's validation).
    """
    pending: list[pyarrow.RecordBatch] = []
    pending_rows = 0
    parsed_blocks = read_ahead(_parsed_blocks(file, source, first, parser, block_size), PARSED_AHEAD)
    with contextlib.closing(parsed_blocks):
        for parsed in parsed_blocks:
            pending.append(parser.columns(parsed))
            pending_rows += pending[-1].num_rows
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
    """`items`, fetched by a thread up to `depth` ahead: the next items are made (mostly without the
    GIL) while the caller uses this one. Closing the result stops the thread."""
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
