"""The bytes of a response file, plain or gzip-compressed, from its path or from a caller's stream."""

from __future__ import annotations

import contextlib
import gzip
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from .structure import StrictFormatViolation, StructureCheck

READ_ERRORS = (OSError, EOFError, zlib.error)
"""What reading a missing, unreadable, truncated or corrupt (gzip) file raises."""


def read_failure(error: BaseException) -> str:
    """Why the bytes could not be read, in words."""
    if isinstance(error, EOFError):
        return "cannot be read: the compressed data ends early (truncated?)"
    return f"cannot be read: {error}"


class ByteStream(Protocol):
    """A readable binary stream: `read(n)` returns up to n bytes, b"" at the end; it may block."""

    def read(self, size: int = -1, /) -> bytes: ...


def is_gzip(path: Path) -> bool:
    return path.suffix == ".gz"


@contextlib.contextmanager
def file_bytes(path: Path, stream: ByteStream | None = None) -> Iterator[BinaryIO]:
    """The file's bytes, decompressed when the name ends in `.gz`: read from `stream` when given
    (left open: the caller owns it), else from `path`."""
    with contextlib.ExitStack() as stack:
        raw = stream if stream is not None else stack.enter_context(path.open("rb"))
        yield stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb")) if is_gzip(path) else raw


def drain(stream: ByteStream | None) -> None:
    """Reads `stream` to its end, so that the file at its path is complete before it is reopened."""
    if stream is not None:
        while stream.read(1 << 20):
            pass


class CheckedBody:
    """What Arrow reads (through `pyarrow.PythonFile`): the records after the header, the header's
    read-ahead first, every block fed to `check` before Arrow sees it. A violation stops the read."""

    closed = False

    def __init__(self, source: BinaryIO, leftover: bytes, check: StructureCheck):
        self.source, self.leftover, self.check = source, leftover, check
        self.finished = False
        self._lock = threading.Lock()  # Arrow's reader thread against a drain on the failure path

    def read(self, size: int = -1) -> bytes:
        with self._lock:
            if self.leftover:
                size = len(self.leftover) if size < 0 else size
                data, self.leftover = self.leftover[:size], self.leftover[size:]
            else:
                data = b"" if self.finished else self._read_full(size)
            if data:
                self.check.feed(data)
            elif not self.finished:
                self.finished = True
                self.check.finish()
            if self.check.violation is not None:
                raise StrictFormatViolation(self.check.violation)
            return data

    def _read_full(self, size: int) -> bytes:
        """`size` bytes unless the source ends first: Arrow takes a short read for the end."""
        data = self.source.read(size)
        parts, got = [data], len(data)
        while 0 < got < size and (part := self.source.read(size - got)):
            parts.append(part)
            got += len(part)
        return data if len(parts) == 1 else b"".join(parts)

    def stop(self) -> None:
        """Later reads return b"" without touching the source, which may then be drained."""
        with self._lock:
            self.finished = True

    def close(self) -> None:
        self.closed = True
