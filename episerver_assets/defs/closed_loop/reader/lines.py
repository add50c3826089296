"""Where failing records start in the file, found only once a file has failed.

Python's csv module reads the file again and counts physical lines, so a record whose quoted value
holds line breaks is reported at the line where it starts, as an editor shows it.
"""

from __future__ import annotations

import contextlib
import csv
from pathlib import Path

from ..schemas import ResponseTable
from .errors import RowFailure, shown
from .source import open_text

_SCAN_ERRORS = (csv.Error, OSError, EOFError)  # malformed CSV, unreadable or truncated gzip


def record_lines(path: Path, records: set[int]) -> dict[int, int]:
    """The physical line (1 = header) where each record (0 = first after the header) starts.

    Records past a spot the csv module cannot read get no line; their failures are still reported.
    """
    lines: dict[int, int] = {}
    if not records:
        return lines
    last = max(records)
    with contextlib.suppress(*_SCAN_ERRORS), open_text(path) as text:
        rows = csv.reader(text, delimiter=";")
        next(rows, None)
        line_after = rows.line_num
        for index, _ in enumerate(rows):
            if index in records:
                lines[index] = line_after + 1
            if index >= last:
                break
            line_after = rows.line_num
    return lines


def parse_failure(path: Path, table: ResponseTable, arrow_message: str) -> RowFailure:
    """Where Arrow's parser gave up: the first record with a wrong field count (blank lines aside,
    which Arrow reads as records of empty fields)."""
    expected = len(table.wire_header)
    line_after = 1
    try:
        with open_text(path) as text:
            rows = csv.reader(text, delimiter=";", strict=True)
            next(rows, None)
            line_after = rows.line_num
            for fields in rows:
                if len(fields) not in (0, expected):
                    reason = f"{len(fields)} fields, expected {expected}"
                    return RowFailure(path.name, line_after + 1, None, reason, shown(";".join(fields)))
                line_after = rows.line_num
    except _SCAN_ERRORS as error:
        return RowFailure(path.name, line_after + 1, None, f"malformed CSV record: {error}")
    return RowFailure(path.name, None, None, f"CSV parse error: {arrow_message}")
