"""The header row of a response file, read and checked before Arrow parses the records."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow

from ..schemas import ResponseTable
from .errors import ResponseFileError, RowFailure
from .source import open_binary

HEADER_LIMIT = 64 * 1024
_BOM = b"\xef\xbb\xbf"


class Header:
    """Checks the header against the table's wire header; `length` bytes (BOM, header, line end)
    precede the records, and `body_is_empty` says whether any follow."""

    def __init__(self, path: Path, table: ResponseTable):
        self.file, self.expected = path.name, table.wire_header
        try:
            with open_binary(path) as stream:
                head = stream.read(HEADER_LIMIT)
        except (OSError, pyarrow.ArrowException) as error:
            raise self._error(f"cannot be read: {error}") from None
        start = len(_BOM) if head.startswith(_BOM) else 0
        if start == len(head):
            raise self._error("is empty; expected the header row")
        end = head.find(b"\n", start)
        if end < 0 and len(head) == HEADER_LIMIT:
            raise self._error(f"has no line break in its first {HEADER_LIMIT} bytes")
        end = len(head) if end < 0 else end
        self.length = min(end + 1, len(head))
        self.body_is_empty = self.length == len(head) and len(head) < HEADER_LIMIT
        line = head[start:end].removesuffix(b"\r")
        try:
            self.found = tuple(next(csv.reader([line.decode("utf-8")], delimiter=";")))
        except UnicodeDecodeError:
            raise self._error("header is not valid UTF-8", line=1) from None
        if self.found != self.expected:
            raise ResponseFileError(self.file, self._differences(), self.expected, self.found)

    def _error(self, reason: str, line: int | None = None) -> ResponseFileError:
        return ResponseFileError(self.file, [RowFailure(self.file, line, None, reason)])

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
