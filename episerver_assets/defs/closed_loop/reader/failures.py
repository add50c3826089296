"""A failed file's ResponseFileError with lines: the file is read again, only on this path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..schemas import ResponseTable, ValueFailure
from .duplicates import DuplicateKey
from .errors import ResponseFileError, RowFailure, shown
from .lines import BodyReader, explain, record_lines
from .source import READ_ERRORS, file_bytes
from .structure import Violation


def _text(value: bytes | None) -> str | None:
    return None if value is None else shown(value.decode("utf-8", errors="backslashreplace"))


class FailedFile:
    """Builds the error of a file that failed after its header; `before_reopening` runs first (it
    drains a caller's stream, so that the file at `path` is complete)."""

    def __init__(self, path: Path, table: ResponseTable, header_length: int,
                 checkpoints: list[tuple[int, int]], before_reopening: Callable[[], None]):
        self.path, self.table = path, table
        self.header_length, self.checkpoints, self.before_reopening = header_length, checkpoints, before_reopening

    def _read(self, use: Callable[[BodyReader], ResponseFileError]) -> ResponseFileError:
        self.before_reopening()
        try:
            with file_bytes(self.path) as source:
                return use(BodyReader(source, self.header_length, len(self.table.columns)))
        except READ_ERRORS as error:
            file = self.path.name
            return ResponseFileError(file, [RowFailure(file, None, None, f"cannot be read again: {error}")])

    def format_error(self, violation: Violation) -> ResponseFileError:
        def build(reader: BodyReader) -> ResponseFileError:
            line, fault = explain(reader, violation)
            file = self.path.name
            if fault is None:
                return ResponseFileError(file, [RowFailure(file, line, None, violation.reason)])
            column = self.table.wire_header[fault.field]
            return ResponseFileError(file, [RowFailure(file, line, column, fault.reason, _text(fault.value))])

        return self._read(build)

    def value_error(self, failures: list[tuple[int, ValueFailure]]) -> ResponseFileError:
        """`failures` as (record number in the file, failure), reported at their lines."""

        def build(reader: BodyReader) -> ResponseFileError:
            lines = record_lines(reader, self.checkpoints, [record for record, _ in failures])
            file = self.path.name
            rows = [RowFailure(file, lines.get(record), f.column, f.reason, shown(f.value)) for record, f in failures]
            return ResponseFileError(file, rows)

        return self._read(build)

    def duplicate_error(self, column: str, duplicates: list[DuplicateKey]) -> ResponseFileError:
        def build(reader: BodyReader) -> ResponseFileError:
            records = [d.first for d in duplicates] + [d.repeated for d in duplicates]
            lines = record_lines(reader, self.checkpoints, records)
            file = self.path.name
            rows = [
                RowFailure(file, lines.get(d.repeated), column,
                           f"duplicate primary key {column} {d.value}: first on line {lines.get(d.first)}",
                           str(d.value))
                for d in duplicates
            ]
            return ResponseFileError(file, rows)

        return self._read(build)
