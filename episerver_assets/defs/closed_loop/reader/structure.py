"""The strict format's parser: raw bytes to Arrow columns, block by block, rejecting any deviation.

In the strict format every field is `"` + value with quotes doubled + `"`, fields are joined by `;`
and every record ends with `\\n`. Number a record-aligned buffer's `"` characters 0, 1, 2, ...: an
even one opens a field or is the second of a doubled pair, an odd one closes a field or is the first
of a pair. The bytes are in the format exactly when they start with `"`, each odd quote is followed
either directly by the next quote (a doubled pair) or by one separator (`;` or `\\n`) and then the
next quote, and the last quote closes a field followed by the final `\\n` alone. Nothing else can
stand outside quotes, so the separators found this way are the only parse, and each value is the
bytes between its quotes with `""` read as `"`. Numpy finds the quotes (one pass per block); Arrow
kernels cut the values out of the block. Field counts, sizes and NUL bytes are checked on the way.
Why a failure fails, in words, is the slow `explain`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow
import pyarrow.compute as pc

QUOTE, SEMICOLON, LF = ord('"'), ord(";"), ord("\n")
FIELD_LIMIT = 1 << 20
"""Bytes one field may take in the file, its quotes included: 1 MiB."""
RECORD_LIMIT = 8 << 20
"""Bytes one record may take in the file, its line end included: 8 MiB."""


@dataclass(frozen=True)
class Violation:
    """The first place the body leaves the format: `offset` (in the body, after the header) of the
    offending byte, inside record `record` (0 = first after the header) starting at `record_start`.
    `reason` is the fallback when the slow scan cannot say more."""

    offset: int
    record: int
    record_start: int
    reason: str


@dataclass(frozen=True)
class ParsedBlock:
    """`length` bytes at the start of `buffer` are complete records, with their field `separators`
    (positions) and `quote_count` double quotes; `StrictParser.columns` cuts out their values."""

    buffer: bytes
    separators: np.ndarray
    quote_count: int
    length: int


class StrictFormatViolation(Exception):
    """Stops the parse at a Violation; the reader turns it into a ResponseFileError with its line."""

    def __init__(self, violation: Violation):
        super().__init__(violation.reason)
        self.violation = violation


def _separators(data: np.ndarray, quotes: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[int, str] | None]:
    """The separators between fields (positions, bytes) up to the first fault, and that fault."""
    closes, opens = quotes[1::2], quotes[2::2]
    pairs = opens.size
    gaps = opens - closes[:pairs]
    if not pairs or gaps.max() <= 2:  # the usual case: no text after any closing quote
        separators = closes[:pairs][gaps == 2] + 1
        kinds = data[separators]
        if np.count_nonzero(kinds == LF) + np.count_nonzero(kinds == SEMICOLON) == kinds.size:
            if closes.size > pairs and data.size - closes[-1] > 2:
                return separators, kinds, (int(closes[-1]) + 1, "text after a closing double quote")
            return separators, kinds, None
    after = data[closes[:pairs] + 1]
    is_separator = (after == SEMICOLON) | (after == LF)
    usable = int(np.argmax((gaps != 1) & ((gaps != 2) | ~is_separator)))
    close = int(closes[usable])
    fault = (close + 1 if not is_separator[usable] else close + 2, "text after a closing double quote")
    separated = gaps[:usable] == 2
    return closes[:usable][separated] + 1, after[:usable][separated], fault


class StrictParser:
    """`parse` buffers that each start where a record starts; `records` counts the records parsed
    and `checkpoints` holds (record, body offset) at each buffer's start, to find lines later."""

    def __init__(self, names: list[str]):
        self.names = names
        self.field_count = len(names)
        self.offset = 0
        self.records = 0
        self.checkpoints: list[tuple[int, int]] = []

    def parse(self, buffer: bytes) -> ParsedBlock:
        """The complete records at the start of `buffer`; a record counts as complete once the
        quote opening the next one is seen. Raises StrictFormatViolation at the first deviation."""
        self.checkpoints.append((self.records, self.offset))
        data = np.frombuffer(buffer, np.uint8)
        faults: list[tuple[int, str]] = []
        if data[0] != QUOTE:
            faults.append((0, "a record must start with a double quote"))
        if b"\0" in buffer:
            faults.append((buffer.index(b"\0"), "NUL byte"))
        quotes = np.flatnonzero(data == QUOTE)
        separators, kinds, fault = _separators(data, quotes)
        if fault is not None:
            faults.append(fault)
        line_ends = np.flatnonzero(kinds == LF)
        complete = int(line_ends[-1]) + 1 if line_ends.size else 0  # separators of complete records
        length = int(separators[complete - 1]) + 1 if complete else 0
        faults += self._record_faults(separators[:complete], kinds[:complete], line_ends)
        if not complete and data.size > RECORD_LIMIT:
            faults.append((0, f"record longer than {RECORD_LIMIT} bytes"))
        if faults:
            self._fail(*min(faults), separators, kinds)
        block = ParsedBlock(buffer, separators[:complete], int(np.searchsorted(quotes, length)), length)
        self.offset += length
        self.records += complete // self.field_count
        return block

    def finish(self, unparsed: int) -> None:
        """The end of the file, `unparsed` bytes after the last complete record."""
        if unparsed:
            reason = "the file ends inside a record (truncated?)"
            raise StrictFormatViolation(Violation(self.offset, self.records, self.offset, reason))

    def _record_faults(self, separators: np.ndarray, kinds: np.ndarray, line_ends: np.ndarray) -> list[tuple[int, str]]:
        """Field counts, field and record sizes of complete records (their separators given)."""
        faults = []
        n = self.field_count
        if separators.size != line_ends.size * n or (line_ends % n != n - 1).any():
            counts = np.diff(line_ends, prepend=-1)
            wrong = int(np.argmax(counts != n))
            faults.append((int(separators[line_ends[wrong]]), f"{int(counts[wrong])} fields, expected {n}"))
        if separators.size:
            fields = np.diff(separators, prepend=-1) - 1
            if fields.max() > FIELD_LIMIT:
                at = int(np.argmax(fields > FIELD_LIMIT))
                faults.append((int(separators[at] - fields[at]), f"field longer than {FIELD_LIMIT} bytes"))
            records = np.diff(separators[line_ends], prepend=-1)
            if records.max() > RECORD_LIMIT:
                at = int(np.argmax(records > RECORD_LIMIT))
                faults.append((int(separators[line_ends[at]] - records[at]) + 1, f"record longer than {RECORD_LIMIT} bytes"))
        return faults

    def _fail(self, offset: int, reason: str, separators: np.ndarray, kinds: np.ndarray) -> None:
        ends = separators[(kinds == LF) & (separators < offset)]
        record, start = self.records + int(ends.size), (int(ends[-1]) + 1 if ends.size else 0)
        raise StrictFormatViolation(Violation(self.offset + offset, record, self.offset + start, reason))

    def columns(self, block: ParsedBlock) -> pyarrow.RecordBatch:
        """The block's records as binary columns, null for "". Field i is `"value";"` from starts[i]
        on: the value, then 3 bytes of quotes and separator."""
        buffer, separators, quote_count = block.buffer, block.separators, block.quote_count
        n, fields = self.field_count, separators.size
        if not fields:
            return pyarrow.RecordBatch.from_arrays([pyarrow.array([], pyarrow.binary())] * n, names=self.names)
        starts = np.empty(fields + 1, np.int32)
        starts[0], starts[1:] = 1, separators + 2
        flat = pyarrow.Array.from_buffers(
            pyarrow.binary(), fields, [None, pyarrow.py_buffer(starts), pyarrow.py_buffer(buffer)]
        )
        values = pc.binary_slice(flat, 0, -3)
        if quote_count > 2 * fields:  # some value holds doubled quotes
            values = pc.replace_substring(values, '""', '"')
        rows = fields // n
        by_column = np.arange(fields).reshape(rows, n).T.ravel()  # one take makes all columns
        values = values.take(by_column)
        present = (np.diff(starts) > 3)[by_column]
        if not present.all():
            bitmap = pyarrow.py_buffer(np.packbits(present, bitorder="little"))
            values = pyarrow.Array.from_buffers(pyarrow.binary(), fields, [bitmap, *values.buffers()[1:]])
        columns = [values.slice(column * rows, rows) for column in range(n)]
        return pyarrow.RecordBatch.from_arrays(columns, names=self.names)
