"""The bytes of a response file, plain or gzip-compressed, from its path or from a caller's stream."""

from __future__ import annotations

import contextlib
import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol


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


def read_full(source: ByteStream, size: int) -> bytes:
    """`size` bytes unless the source ends first (a stream may hand out less per read)."""
    data = source.read(size)
    parts, got = [data], len(data)
    while 0 < got < size and (part := source.read(size - got)):
        parts.append(part)
        got += len(part)
    return data if len(parts) == 1 else b"".join(parts)


def drain(stream: ByteStream | None) -> None:
    """Reads `stream` to its end, so that the file at its path is complete before it is reopened."""
    if stream is not None:
        while stream.read(1 << 20):
            pass
