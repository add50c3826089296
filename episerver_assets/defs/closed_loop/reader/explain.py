"""Why a record breaks the strict format, in words: a slow scan run only once a file has failed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .structure import FIELD_LIMIT, LF, RECORD_LIMIT

_FIELD = rb'"[^"]*+(?:""[^"]*+)*+"'
VALID_RECORD = re.compile(_FIELD + rb"(?:;" + _FIELD + rb")*+\n")
"""One record in the strict format (any field count); `match` it at a record's start."""
_FIELD_END = re.compile(rb"[;\n]")
_DOUBLED = '"" (doubled)'
_TOO_LONG = f"field longer than {FIELD_LIMIT} bytes or record longer than {RECORD_LIMIT} bytes"


@dataclass(frozen=True)
class Fault:
    """Field `field` (0-based) of a record breaks the format; `value` is the offending text."""

    field: int
    reason: str
    value: bytes | None = None


def _until_field_end(data: bytes, start: int) -> bytes:
    found = _FIELD_END.search(data, start)
    return data[start : found.start() if found else len(data)]


def _closing_quote(data: bytes, start: int) -> int:
    """The quote closing the field opened at `start`, or -1 when the data ends first."""
    at = start + 1
    while True:
        quote = data.find(b'"', at)
        if quote < 0 or data[quote + 1 : quote + 2] != b'"':
            return quote
        at = quote + 2


def _unquoted(data: bytes, at: int, field: int) -> Fault:
    first = data[at : at + 1]
    if first == b"\n" and field == 0:
        return Fault(0, "empty line")
    if first == b"\r":
        return Fault(field, "carriage return: lines must end with a line feed (LF) alone, not CR or CRLF")
    value = _until_field_end(data, at)
    if first in (b";", b"\n"):
        return Fault(field, 'empty field without double quotes; an empty value is written ""')
    return Fault(field, "field not enclosed in double quotes", value)


def _after_field(data: bytes, opening: int, closing: int, field: int) -> Fault | None:
    """None when the field is followed by `;` or a line feed; else what follows it instead."""
    follower = data[closing + 1 : closing + 2]
    if follower in (b";", b"\n"):
        return None
    if follower == b"":
        return Fault(field, "the last line does not end with a line feed (truncated?)")
    if follower == b"\r":
        return Fault(field, "carriage return: lines must end with a line feed (LF) alone, not CR or CRLF")
    value = _until_field_end(data, opening + 1)
    return Fault(field, f"double quote inside a field not written as {_DOUBLED}", value)


def _field_fault(data: bytes, at: int, field: int, at_eof: bool) -> tuple[Fault | None, int]:
    """The field starting at `at`: its fault, or None and where the quote closing it stands."""
    if data[at : at + 1] != b'"':
        return _unquoted(data, at, field), at
    closing = _closing_quote(data, at)
    if closing < 0:  # a window ends before the field: it is too long, else the file is cut
        reason = "the file ends inside a quoted field (truncated?)" if at_eof else _TOO_LONG
        return Fault(field, reason, data[at + 1 : at + 81]), at
    value = data[at + 1 : closing]
    if b"\0" in value:
        return Fault(field, "NUL byte in the value", value.replace(b'""', b'"')), at
    if closing + 1 - at > FIELD_LIMIT:
        return Fault(field, f"field longer than {FIELD_LIMIT} bytes", value[:80]), at
    return _after_field(data, at, closing, field), closing


def record_fault(data: bytes, start: int, fields: int, at_eof: bool) -> tuple[Fault | None, int]:
    """The first fault of the record at `start` of `data` (and `start`), or None and where the next
    record starts. `at_eof` says whether `data` ends where the file does (else it is a window)."""
    at, field = start, 0
    while True:
        if at >= len(data):
            if field == 0 and at_eof:
                return None, at  # no record here: the file ends
            found = min(field, fields - 1)
            return Fault(found, f"the file ends after {field} of {fields} fields (truncated?)"), start
        fault, closing = _field_fault(data, at, min(field, fields - 1), at_eof)
        if fault is not None:
            return fault, start
        field, at = field + 1, closing + 2
        if data[closing + 1] == LF:
            break
        if at - start > RECORD_LIMIT:
            break
    if at - start > RECORD_LIMIT:
        return Fault(min(field, fields) - 1, f"record longer than {RECORD_LIMIT} bytes"), start
    if field != fields:
        return Fault(min(field, fields) - 1, f"{field} fields, expected {fields}"), start
    return None, at
