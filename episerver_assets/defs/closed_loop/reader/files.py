"""Read one response file: validated Arrow batches, streaming, or the whole file as one table."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyarrow

from ..schemas import ResponseTable, parse_file_name, response_table, validate_batch
from .arrow_batches import ArrowParseError, raw_batches, read_ahead
from .duplicates import KeyTracker
from .errors import ResponseFileError, RowFailure
from .failures import FailedFile
from .header import Header
from .source import READ_ERRORS, ByteStream, CheckedBody, drain, file_bytes, read_failure
from .structure import StrictFormatViolation, StructureCheck, Violation

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
    after reading `stream` to its end.
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
            return  # a header-only file: no records (Arrow would call it an empty CSV file)
        check = StructureCheck(len(table.columns))
        body = CheckedBody(source, first_records, check)

        def before_reopening() -> None:
            body.stop()
            drain(stream)

        failed = FailedFile(path, stream, table, header.length, check.checkpoints, before_reopening)
        yield from _checked_batches(failed, body, check, batch_rows)


def _read_or_fail(source: BinaryIO, file: str) -> bytes:
    try:
        return source.read(1 << 20)
    except READ_ERRORS as error:
        raise ResponseFileError(file, [RowFailure(file, None, None, read_failure(error))]) from None


def _checked_batches(
    failed: FailedFile, body: CheckedBody, check: StructureCheck, batch_rows: int
) -> Iterator[pyarrow.RecordBatch]:
    """Each batch once the structure check has confirmed all its records; then the key check."""
    table, file = failed.table, failed.path.name
    keys = KeyTracker(table)
    records = 0
    held: pyarrow.RecordBatch | None = None

    def validated(raw: pyarrow.RecordBatch) -> pyarrow.RecordBatch:
        batch, failures = validate_batch(table, raw, MAX_REPORTED_FAILURES)
        if failures:
            raise failed.value_error([(records + f.row, f) for f in failures])
        keys.add(batch)
        return batch

    try:
        with contextlib.closing(read_ahead(raw_batches(file, body, table, batch_rows))) as raws:
            for raw in raws:
                if held is not None:  # Arrow parsed past it, so the check has confirmed it
                    yield validated(held)
                    records += held.num_rows
                held = raw
                if check.records >= records + raw.num_rows:
                    yield validated(held)
                    records, held = records + raw.num_rows, None
            while body.read(1 << 20):  # Arrow stopped at the end; make sure the check did too
                pass
    except StrictFormatViolation as stop:
        raise failed.format_error(stop.violation) from None
    except ArrowParseError as error:
        violation = Violation(check.offset, check.records, check.record_start, f"CSV parse error: {error}")
        raise failed.format_error(violation) from None
    if held is not None:
        yield validated(held)
        records += held.num_rows
    if records != check.records:
        reason = f"Arrow read {records} records where the format check found {check.records}"
        raise ResponseFileError(file, [RowFailure(file, None, None, reason)])
    duplicates = keys.duplicates(MAX_REPORTED_FAILURES)
    if duplicates:
        raise failed.duplicate_error(keys.wire_name or "", duplicates)


def read_response_file(path: str | Path, table: ResponseTable | str | None = None) -> ReadResult:
    """The whole file as one Arrow table (read batch by batch), or ResponseFileError."""
    path = Path(path)
    table = _resolve(path, table)
    batches = list(iter_response_batches(path, table))
    return ReadResult(path.name, table, pyarrow.Table.from_batches(batches, schema=table.arrow_schema))
