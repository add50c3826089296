"""The strict format checked on the raw bytes, block by block, before Arrow parses them.

In the strict format every field is `"` + value with quotes doubled + `"`, fields are joined by `;`
and every record ends with `\\n`. Number the body's `"` characters 0, 1, 2, ...: an even one opens a
field or is the second of a doubled pair, an odd one closes a field or is the first of a pair. The
body is in the format exactly when it starts with `"`, each odd quote is followed either directly by
the next quote (a doubled pair) or by one separator (`;` or `\\n`) and then the next quote, and the
last quote is odd and followed by the final `\\n` alone. Nothing else can then stand outside quotes,
so Arrow's parse of such bytes is the only one, and values reach the warehouse as they stand in the
file. Field counts, field and record sizes and NUL bytes are checked on the same positions. Numpy
does this on each block (about 1 ms per MiB); the slow explanation of a failure is `explain`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

QUOTE, SEMICOLON, LF = ord('"'), ord(";"), ord("\n")
FIELD_LIMIT = 1 << 20
"""Bytes one field may take in the file, its quotes included: 1 MiB."""
RECORD_LIMIT = 8 << 20
"""Bytes one record may take in the file, its line end included: 8 MiB."""


@dataclass(frozen=True)
class Violation:
    """The first place the body leaves the format: `offset` (in the body, after the header) of the
    offending byte, inside record `record` (0 = first after the header) starting at `record_start`.
    `reason` is the fallback when a slow scan cannot say more."""

    offset: int
    record: int
    record_start: int
    reason: str


class StrictFormatViolation(Exception):
    """Raised from inside Arrow's read of the body, so that its parse stops at the first violation."""

    def __init__(self, violation: Violation):
        super().__init__(violation.reason)
        self.violation = violation


class StructureCheck:
    """Feed the body's bytes in order (`feed`), then `finish`; `violation` is the first one found.

    `records` counts the records whose bytes are confirmed; `checkpoints` holds one (record, body
    offset where it starts) per block, so that a record's line can later be found without rereading
    the whole file.
    """

    def __init__(self, field_count: int):
        self.field_count = field_count
        self.offset = 0
        self.quotes = 0
        self.open_close: int | None = None  # the last quote when it was odd: its successor is unseen
        self.byte_after_close: int | None = None
        self.last_separator = -1
        self.record_start = 0
        self.records = 0
        self.semicolons_in_record = 0
        self.checkpoints: list[tuple[int, int]] = [(0, 0)]
        self.violation: Violation | None = None

    def feed(self, block: bytes) -> None:
        if self.violation is not None or not block:
            return
        data = np.frombuffer(block, np.uint8)
        base = self.offset
        faults: list[tuple[int, str]] = []
        if base == 0 and data[0] != QUOTE:
            faults.append((0, "a record must start with a double quote"))
        if data.min() == 0:
            faults.append((base + int(np.argmax(data == 0)), "NUL byte"))
        quotes = np.flatnonzero(data == QUOTE) + base
        sequence = quotes
        if self.open_close is not None:
            sequence = np.concatenate(([self.open_close], quotes))
        elif self.quotes == 0 and quotes.size:
            sequence = quotes[1:]  # the body's first quote opens its first field
        closes, opens = sequence[0::2], sequence[1::2]
        pairs = opens.size
        after = data[np.maximum(closes[:pairs] + 1 - base, 0)]
        if pairs and closes[0] + 1 < base:
            after[0] = self.byte_after_close
        gaps = opens - closes[:pairs]
        is_separator = (after == SEMICOLON) | (after == LF)
        bad = (gaps != 1) & ((gaps != 2) | ~is_separator)
        usable = pairs
        if bad.any():
            usable = int(np.argmax(bad))
            close = int(closes[usable])
            offending = close + 1 if not is_separator[usable] else close + 2
            faults.append((offending, "a closing double quote must be followed by ; or a line feed and the next field"))
        end = base + data.size
        dangling = closes[-1] if closes.size > pairs else None
        if dangling is not None and end - dangling > 2 and not bad.any():
            faults.append((int(dangling) + 1, "data after a closing double quote"))
        separators = closes[:usable][gaps[:usable] == 2] + 1
        kinds = after[:usable][gaps[:usable] == 2]
        faults += self._separator_faults(separators, kinds, end)
        self.offset = end
        if faults:
            self._fail(*min(faults), separators, kinds)
            return
        self._advance(quotes.size, dangling, block, separators, kinds)

    def _separator_faults(self, separators: np.ndarray, kinds: np.ndarray, end: int) -> list[tuple[int, str]]:
        """Field counts and sizes up to each separator; an unfinished field or record over its limit."""
        faults = []
        bounds = np.concatenate(([self.last_separator], separators))
        fields = np.diff(bounds) - 1
        if fields.size and fields.max() > FIELD_LIMIT:
            at = int(np.argmax(fields > FIELD_LIMIT))
            faults.append((int(bounds[at]) + 1, f"field longer than {FIELD_LIMIT} bytes"))
        last_separator = int(bounds[-1])
        if end - last_separator - 2 > FIELD_LIMIT:  # the field's unconfirmed separator may be in
            faults.append((last_separator + 1, f"field longer than {FIELD_LIMIT} bytes"))
        line_ends = np.flatnonzero(kinds == LF)
        record_bounds = np.concatenate(([self.record_start - 1], separators[line_ends]))
        if line_ends.size and np.diff(record_bounds).max() > RECORD_LIMIT:
            at = int(np.argmax(np.diff(record_bounds) > RECORD_LIMIT))
            faults.append((int(record_bounds[at]) + 1, f"record longer than {RECORD_LIMIT} bytes"))
        if end - int(record_bounds[-1]) - 1 > RECORD_LIMIT:
            faults.append((int(record_bounds[-1]) + 1, f"record longer than {RECORD_LIMIT} bytes"))
        semicolons = np.diff(np.concatenate(([-1 - self.semicolons_in_record], line_ends))) - 1
        wrong = np.flatnonzero(semicolons != self.field_count - 1)
        if wrong.size:
            at = int(wrong[0])
            reason = f"{int(semicolons[at]) + 1} fields, expected {self.field_count}"
            faults.append((int(separators[line_ends[at]]), reason))
        return faults

    def _advance(self, quote_count: int, dangling, block: bytes, separators: np.ndarray, kinds: np.ndarray) -> None:
        base = self.offset - len(block)
        self.quotes += quote_count
        self.open_close = None if dangling is None else int(dangling)
        self.byte_after_close = None
        if dangling is not None and dangling + 1 < self.offset:
            self.byte_after_close = block[dangling + 1 - base]
        line_ends = np.flatnonzero(kinds == LF)
        if separators.size:
            self.last_separator = int(separators[-1])
        if line_ends.size:
            self.records += int(line_ends.size)
            self.record_start = int(separators[line_ends[-1]]) + 1
            self.semicolons_in_record = int(separators.size - line_ends[-1] - 1)
            self.checkpoints.append((self.records, self.record_start))
        else:
            self.semicolons_in_record += int(separators.size)

    def _fail(self, offset: int, reason: str, separators: np.ndarray, kinds: np.ndarray) -> None:
        ends = separators[(kinds == LF) & (separators < offset)]
        record, start = self.records, self.record_start
        if ends.size:
            record, start = record + int(ends.size), int(ends[-1]) + 1
        self.violation = Violation(offset, record, start, reason)

    def finish(self) -> None:
        """The end of the body: the last quote must close a field and be followed by `\\n` alone."""
        if self.violation is not None or self.offset == 0:
            return
        close = self.open_close
        if close is None:
            self._fail(self.offset, "the file ends inside a quoted field (truncated?)", *_NONE)
        elif close + 1 == self.offset:
            self._fail(self.offset, "the last line does not end with a line feed (truncated?)", *_NONE)
        elif close + 2 != self.offset or self.byte_after_close != LF:
            self._fail(close + 1, "data after the last record", *_NONE)
        else:
            faults = self._separator_faults(np.array([close + 1]), np.array([LF]), self.offset)
            if faults:
                self._fail(*min(faults), *_NONE)
            else:
                self.records += 1


_NONE = (np.array([], dtype=np.int64), np.array([], dtype=np.uint8))
