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


class StrictFormatViolation(Exception):
    def __init__(self, violation: Violation):
        super().__init__(violation.reason)
        self.violation = violation


class StrictParser:
    """`parse` buffers that each start where a record starts; `records` counts the records parsed
    and `checkpoints` holds (record, body offset) at each buffer's start, to find lines later."""

    def __init__(self, names: list[str]):
        self.names = names
        self.field_count = len(names)
        self.offset = 0
        self.records = 0
        self.checkpoints: list[tuple[int, int]] = []

    def parse(self, buffer: bytes) -> tuple[pyarrow.RecordBatch, int]:
        """The complete records at the start of `buffer` (binary columns, null for "") and their
        length in bytes; a record counts as complete once the quote opening the next one is seen.
        Raises StrictFormatViolation at the first deviation in `buffer`."""
        self.checkpoints.append((self.records, self.offset))
        data = np.frombuffer(buffer, np.uint8)
        faults: list[tuple[int, str]] = []
        if data[0] != QUOTE:
            faults.append((0, "a record must start with a double quote"))
        if b"\0" in buffer:
            faults.append((buffer.index(b"\0"), "NUL byte"))
        quotes = np.flatnonzero(data == QUOTE)
        closes, opens = quotes[1::2], quotes[2::2]
        pairs = opens.size
        gaps = opens - closes[:pairs]
        after = data[closes[:pairs] + 1]
        is_separator = (after == SEMICOLON) | (after == LF)
        bad = (gaps != 1) & ((gaps != 2) | ~is_separator)
        usable = pairs
        if bad.any():
            usable = int(np.argmax(bad))
            close = int(closes[usable])
            faults.append((close + 1 if not is_separator[usable] else close + 2, "text after a closing double quote"))
        elif closes.size > pairs and data.size - closes[-1] > 2:
            faults.append((int(closes[-1]) + 1, "text after a closing double quote"))
        separated = gaps[:usable] == 2
        separators, kinds = closes[:usable][separated] + 1, after[:usable][separated]
        line_ends = np.flatnonzero(kinds == LF)
        complete = int(line_ends[-1]) + 1 if line_ends.size else 0  # separators of complete records
        length = int(separators[complete - 1]) + 1 if complete else 0
        faults += self._record_faults(separators[:complete], kinds[:complete], line_ends)
        if not complete and data.size > RECORD_LIMIT:
            faults.append((0, f"record longer than {RECORD_LIMIT} bytes"))
        if faults:
            self._fail(*min(faults), separators, kinds)
        batch = self._columns(buffer, separators[:complete], int(np.count_nonzero(quotes < length)))
        self.offset += length
        self.records += batch.num_rows
        return batch, length

    def finish(self, unparsed: int) -> None:
        """The end of the file, `unparsed` bytes after the last complete record."""
        if unparsed:
            reason = "the file ends inside a record (truncated?)"
            raise StrictFormatViolation(Violation(self.offset, self.records, self.offset, reason))

    def _record_faults(self, separators: np.ndarray, kinds: np.ndarray, line_ends: np.ndarray) -> list[tuple[int, str]]:
        faults = []
        n = self.field_count
        if separators.size % n or not (kinds[n - 1 :: n] == LF).all() or (kinds == LF).sum() * n != kinds.size:
            counts = np.diff(np.concatenate(([-1], line_ends))) if line_ends.size else np.array([])
            wrong = int(np.argmax(counts != n))
            faults.append((int(separators[line_ends[wrong]]), f"{int(counts[wrong])} fields, expected {n}"))
        bounds = np.concatenate(([-1], separators))
        if bounds.size > 1 and (np.diff(bounds) - 1).max() > FIELD_LIMIT:
            at = int(np.argmax(np.diff(bounds) - 1 > FIELD_LIMIT))
            faults.append((int(bounds[at]) + 1, f"field longer than {FIELD_LIMIT} bytes"))
        record_ends = np.concatenate(([-1], separators[line_ends])) if line_ends.size else np.array([-1])
        if record_ends.size > 1 and np.diff(record_ends).max() > RECORD_LIMIT:
            at = int(np.argmax(np.diff(record_ends) > RECORD_LIMIT))
            faults.append((int(record_ends[at]) + 1, f"record longer than {RECORD_LIMIT} bytes"))
        return faults

    def _fail(self, offset: int, reason: str, separators: np.ndarray, kinds: np.ndarray) -> None:
        ends = separators[(kinds == LF) & (separators < offset)]
        record, start = self.records + int(ends.size), (int(ends[-1]) + 1 if ends.size else 0)
        raise StrictFormatViolation(Violation(self.offset + offset, record, self.offset + start, reason))

    def _columns(self, buffer: bytes, separators: np.ndarray, quote_count: int) -> pyarrow.RecordBatch:
        """Field i is `"value";"` from starts[i] on: the value, then 3 bytes of quotes and separator."""
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
