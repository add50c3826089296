"""Read one response file: validated Arrow batches, streaming, or the whole file as one table."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyarrow

from ..schemas import ResponseTable, ValueFailure, parse_file_name, response_table, validate_batch
from .arrow_batches import raw_batches, read_ahead
from .duplicates import KeyTracker
from .errors import ResponseFileError, RowFailure
from .failures import FailedFile
from .header import Header
from .source import READ_ERRORS, ByteStream, drain, file_bytes, read_failure
from .structure import StrictFormatViolation, StrictParser

DEFAULT_BATCH_ROWS = 100_000
MAX_REPORTED_FAILURES = 20


@dataclass(frozen=True)
class ReadResult:
    """A whole file, validated: `data` has the warehouse columns and types of `table`."""

    file: str
    table: ResponseTable
    data: pyarrow.Table

    @property
    def row_count(self) -> int:
        return self.data.num_rows


def _resolve(path: Path, table: ResponseTable | str | None) -> ResponseTable:
    if table is not None:
        return response_table(table)
    parsed = parse_file_name(path.name)
    if parsed is None:
        raise ValueError(f"{path.name}: not a response file name (YYYYMMDD_<table>.csv); pass the table")
    return parsed[1]


def iter_response_batches(
    path: str | Path,
    table: ResponseTable | str | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    *,
    stream: ByteStream | None = None,
) -> Iterator[pyarrow.RecordBatch]:
    """Validated batches of at most `batch_rows` rows, typed as `table.arrow_schema`.

    Raises ResponseFileError at the first failing batch, or after the last batch for a repeated
    primary key; batches already yielded were valid, so a caller loading them must discard them
    (load in one transaction). `table` defaults to the one the file name says.

    `stream`, when given, delivers the bytes of `path` (for example while it downloads): they are
    read from it once, in order, and `path` is opened only to find lines once the file has failed,
    after reading `stream` to its end (a failure that needs no line, such as a wrong header, may
    leave the stream unread).
    """
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, got {batch_rows}")
    path = Path(path)
    table = _resolve(path, table)
    with contextlib.ExitStack() as stack:
        try:
            source = stack.enter_context(file_bytes(path, stream))
        except OSError as error:
            raise ResponseFileError(path.name, [RowFailure(path.name, None, None, f"cannot be read: {error}")]) from None
        header = Header(source, path.name, table)
        first_records = header.leftover or _read_or_fail(source, path.name)
        if not first_records:
            return  # a header-only file: no records
        parser = StrictParser(list(table.column_names))
        failed = FailedFile(path, table, header.length, parser.checkpoints, lambda: drain(stream))
        raws = raw_batches(path.name, source, first_records, parser, batch_rows)
        yield from _validated_batches(failed, raws)


def _read_or_fail(source: BinaryIO, file: str) -> bytes:
    try:
        return source.read(1 << 20)
    except READ_ERRORS as error:
        raise ResponseFileError(file, [RowFailure(file, None, None, read_failure(error))]) from None


def _validated_batches(failed: FailedFile, raws: Iterator[pyarrow.RecordBatch]) -> Iterator[pyarrow.RecordBatch]:
    """Each parsed batch typed and validated; at the end, the primary key checked across the file."""
    table = failed.table
    keys = KeyTracker(table)
    records = 0
    invalid: list[tuple[int, ValueFailure]] = []
    try:
        with contextlib.closing(read_ahead(raws)) as parsed:
            for raw in parsed:
                batch, failures = validate_batch(table, raw, MAX_REPORTED_FAILURES)
                if failures:
                    invalid = [(records + f.row, f) for f in failures]
                    break  # leaving the block stops the parse threads before the stream is drained
                keys.add(batch)
                yield batch
                records += raw.num_rows
    except StrictFormatViolation as stop:
        raise failed.format_error(stop.violation) from None
    if invalid:
        raise failed.value_error(invalid)
    duplicates = keys.duplicates(MAX_REPORTED_FAILURES)
    if duplicates:
        raise failed.duplicate_error(keys.wire_name or "", duplicates)


def read_response_file(path: str | Path, table: ResponseTable | str | None = None) -> ReadResult:
    """The whole file as one Arrow table (read batch by batch), or ResponseFileError."""
    path = Path(path)
    table = _resolve(path, table)
    batches = list(iter_response_batches(path, table))
    return ReadResult(path.name, table, pyarrow.Table.from_batches(batches, schema=table.arrow_schema))
