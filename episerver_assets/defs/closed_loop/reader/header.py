"""The header row of a response file, read from the file's first bytes and checked strictly."""

from __future__ import annotations

import re
from typing import BinaryIO

from ..schemas import ResponseTable
from .errors import ResponseFileError, RowFailure, shown
from .explain import record_fault
from .source import READ_ERRORS, read_failure

HEADER_LIMIT = 64 * 1024
_BOM = b"\xef\xbb\xbf"
_NAME = re.compile(rb'"((?:[^"]|"")*)"')


class Header:
    """Reads the header from `source` and checks it against the table's wire header. `length` bytes
    (BOM, header, line feed) precede the records; `leftover` holds the records' bytes read with it."""

    def __init__(self, source: BinaryIO, file: str, table: ResponseTable):
        self.file, self.expected = file, table.wire_header
        head = self._first_line(source)
        start = len(_BOM) if head.startswith(_BOM) else 0
        end = head.find(b"\n", start)
        line = head[start : end + 1] if end >= 0 else head[start:]
        self.length = start + len(line)
        self.leftover = head[self.length :]
        if line == ";".join(self.expected).encode() + b"\n":
            # Unquoted column names: the header carries no values, so nothing loaded can change.
            self.found = self.expected
            return
        fault, _ = record_fault(line, 0, line.count(b";") + 1, at_eof=True)
        if fault is not None:
            value = None if fault.value is None else fault.value.decode("utf-8", "backslashreplace")
            raise self._error(f"header row: {fault.reason}", line=1, value=shown(value))
        try:
            self.found = tuple(m.group(1).replace(b'""', b'"').decode("utf-8") for m in _NAME.finditer(line))
        except UnicodeDecodeError:
            raise self._error("header is not valid UTF-8", line=1) from None
        if self.found != self.expected:
            raise ResponseFileError(self.file, self._differences(), self.expected, self.found)

    def _first_line(self, source: BinaryIO) -> bytes:
        head = b""
        try:
            while b"\n" not in head and len(head) < HEADER_LIMIT:
                chunk = source.read(HEADER_LIMIT)
                if not chunk:
                    break
                head += chunk
        except READ_ERRORS as error:
            raise self._error(read_failure(error)) from None
        if not head.removeprefix(_BOM):
            raise self._error("is empty; expected the header row")
        if b"\n" not in head[:HEADER_LIMIT]:
            if len(head) >= HEADER_LIMIT:
                raise self._error(f"has no line break in its first {HEADER_LIMIT} bytes")
        return head

    def _error(self, reason: str, line: int | None = None, value: str | None = None) -> ResponseFileError:
        return ResponseFileError(self.file, [RowFailure(self.file, line, None, reason, value)])

    def _differences(self) -> list[RowFailure]:
        expected, found = self.expected, self.found
        if len(found) == len(expected):
            return [
                RowFailure(self.file, 1, want, f"header column {i + 1} should be {want!r}", got)
                for i, (want, got) in enumerate(zip(expected, found, strict=True))
                if want != got
            ]
        failures = [RowFailure(self.file, 1, name, "missing column") for name in expected if name not in found]
        failures += [RowFailure(self.file, 1, name, "unexpected column") for name in found if name not in expected]
        return failures or [RowFailure(self.file, 1, None, "columns repeated or out of order")]
