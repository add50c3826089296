"""Read one response file: validated Arrow batches, streaming, or the whole file as one table."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow

from ..schemas import ResponseTable, ValueFailure, parse_file_name, response_table, validate_batch
from .arrow_batches import raw_batches, read_ahead
from .errors import ResponseFileError, RowFailure, shown
from .header import Header
from .lines import record_lines
from .source import BodyTail

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


def _value_error(path: Path, failures: list[tuple[int, ValueFailure]]) -> ResponseFileError:
    """`failures` as (record number in the file, failure), reported at their lines."""
    lines = record_lines(path, {record for record, _ in failures})
    return ResponseFileError(
        path.name,
        [RowFailure(path.name, lines.get(record), f.column, f.reason, shown(f.value)) for record, f in failures],
    )


def iter_response_batches(
    path: str | Path, table: ResponseTable | str | None = None, batch_rows: int = DEFAULT_BATCH_ROWS
) -> Iterator[pyarrow.RecordBatch]:
    """Validated batches of at most `batch_rows` rows, typed as `table.arrow_schema`.

    Raises ResponseFileError at the first failing batch; batches already yielded were valid, so a
    caller loading them must discard them (load in one transaction). `table` defaults to the one the
    file name says. Primary-key uniqueness across the file is `schemas.duplicate_keys`' job.
    """
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, got {batch_rows}")
    path = Path(path)
    table = _resolve(path, table)
    header = Header(path, table)
    if header.body_is_empty:
        return
    tail = BodyTail(header.length)
    records = 0
    last_value: bytes | None = None
    with contextlib.closing(read_ahead(raw_batches(path, table, tail, batch_rows))) as raws:
        for raw in raws:
            batch, failures = validate_batch(table, raw, MAX_REPORTED_FAILURES)
            if failures:
                raise _value_error(path, [(records + f.row, f) for f in failures])
            yield batch
            records += raw.num_rows
            if raw.num_rows:
                last_value = raw.column(raw.num_columns - 1)[-1].as_py()
    if records and not tail.ends_with_closed_field(last_value):
        reason = "unterminated quoted field at the end of the file (truncated last line?)"
        shown_value = None if last_value is None else last_value.decode("utf-8", errors="backslashreplace")
        raise _value_error(path, [(records - 1, ValueFailure(0, table.wire_header[-1], reason, shown_value))])


def read_response_file(path: str | Path, table: ResponseTable | str | None = None) -> ReadResult:
    """The whole file as one Arrow table (read batch by batch), or ResponseFileError."""
    path = Path(path)
    table = _resolve(path, table)
    batches = list(iter_response_batches(path, table))
    return ReadResult(path.name, table, pyarrow.Table.from_batches(batches, schema=table.arrow_schema))
