"""The bytes of a response file: plain or gzip-compressed, opened for Arrow or for Python's csv module."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pyarrow


def is_gzip(path: Path) -> bool:
    return path.suffix == ".gz"


def open_binary(path: Path) -> pyarrow.NativeFile:
    """An Arrow input stream; `.gz` is decompressed as it is read."""
    return pyarrow.input_stream(str(path), compression="gzip" if is_gzip(path) else None)


def open_text(path: Path) -> io.TextIOBase:
    """Text for the csv module: BOM dropped, line ends left to csv, undecodable bytes kept as escapes."""
    opener = gzip.open if is_gzip(path) else open
    return opener(path, "rt", encoding="utf-8-sig", errors="surrogateescape", newline="")


def _last_bytes(buffer: pyarrow.Buffer, count: int) -> bytes:
    return buffer.slice(max(buffer.size - count, 0)).to_pybytes()


class BodyTail:
    """Transform for `pyarrow.TransformInputStream`: drops the header's bytes and keeps the last two
    buffers, so that the end of the file can be checked without reading it again."""

    def __init__(self, skip: int):
        self.skip = skip
        self.previous = self.last = pyarrow.py_buffer(b"")

    def __call__(self, buffer: pyarrow.Buffer) -> pyarrow.Buffer:
        if self.skip:
            skipped = min(self.skip, buffer.size)
            buffer, self.skip = buffer.slice(skipped), self.skip - skipped
        if buffer.size:
            self.previous, self.last = self.last, buffer
        return buffer

    def ends_with_closed_field(self, last_value: bytes | None) -> bool:
        """False when the file ends inside a quoted field, which Arrow silently accepts.

        A closed last field ends with `;"<value, quotes doubled>"` or, unquoted, `;<value>`, before
        at most one line end; an unterminated one lacks the closing quote.
        """
        value = last_value or b""
        quoted = b';"' + value.replace(b'"', b'""') + b'"'
        wanted = len(quoted) + 2
        tail = _last_bytes(self.last, wanted)
        if len(tail) < wanted:
            tail = _last_bytes(self.previous, wanted - len(tail)) + tail
        for line_end in (b"\r\n", b"\n", b"\r"):
            if tail.endswith(line_end):
                tail = tail[: -len(line_end)]
                break
        return tail.endswith(quoted) or (b'"' not in value and tail.endswith(b";" + value))
