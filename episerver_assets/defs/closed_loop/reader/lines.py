"""Where failing records start in the file, found only once a file has failed.

The file (complete by then) is read again from its start: line feeds are counted up to the nearest
checkpoint the strict parser left (one per block, so a 10 GB file is not parsed again in Python),
then records are stepped over one by one. Lines are physical, as an editor shows them: a record
whose quoted value holds line breaks is reported at the line where it starts.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import BinaryIO

from .explain import Fault, record_fault
from .structure import RECORD_LIMIT, Violation

_READ = 1 << 20


class BodyReader:
    """The records of a file from its start, after `header_length` bytes: where we are (`offset`
    in the body, `line` in the file) and the record there."""

    def __init__(self, source: BinaryIO, header_length: int, field_count: int):
        self.source, self.field_count = source, field_count
        self.buffer, self.pos, self.offset, self.line = b"", 0, 0, 2
        self._fill(header_length)
        self.pos = header_length

    def _fill(self, need: int) -> bool:
        """At least `need` bytes buffered from `pos`, unless the file ends first (then True)."""
        while len(self.buffer) - self.pos < need:
            chunk = self.source.read(max(need, _READ))
            if not chunk:
                return True
            self.buffer, self.pos = self.buffer[self.pos :] + chunk, 0
        return False

    def skip_to(self, offset: int) -> None:
        while self.offset < offset:
            if self.pos >= len(self.buffer) and self._fill(1):
                return
            take = min(len(self.buffer) - self.pos, offset - self.offset)
            self.line += self.buffer.count(b"\n", self.pos, self.pos + take)
            self.pos, self.offset = self.pos + take, self.offset + take

    def fault(self) -> tuple[Fault | None, int]:
        """The record here: its fault, or None and the body offset of the next record."""
        at_eof = self._fill(RECORD_LIMIT + 2)
        fault, end = record_fault(self.buffer, self.pos, self.field_count, at_eof)
        return fault, self.offset + end - self.pos


def record_lines(reader: BodyReader, checkpoints: list[tuple[int, int]], records: Iterable[int]) -> dict[int, int]:
    """The line of each record (0 = first after the header); `checkpoints` are (record, offset)
    pairs in order, starting with (0, 0)."""
    lines: dict[int, int] = {}
    firsts = [record for record, _ in checkpoints]
    current = 0
    for record in sorted(set(records)):
        checkpoint = checkpoints[bisect.bisect_right(firsts, record) - 1]
        if checkpoint[1] > reader.offset:
            current = checkpoint[0]
            reader.skip_to(checkpoint[1])
        while current < record:
            fault, next_offset = reader.fault()
            if fault is not None or next_offset <= reader.offset:
                break
            reader.skip_to(next_offset)
            current += 1
        if current == record:
            lines[record] = reader.line
    return lines


def explain(reader: BodyReader, violation: Violation) -> tuple[int, Fault | None]:
    """The line and fault of the first record at or after the violation's record that breaks the
    format; no fault when the slow scan finds none before the violation (the line is then its record's)."""
    reader.skip_to(violation.record_start)
    line = reader.line
    while reader.offset <= violation.offset + 2:  # the fault may lie just past a separator
        fault, next_offset = reader.fault()
        if fault is not None:
            return reader.line, fault
        if next_offset <= reader.offset:
            break
        reader.skip_to(next_offset)
    return line, None
