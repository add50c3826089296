"""A response file being downloaded, readable while it arrives.

The bytes go to an anonymous temporary file (O_TMPFILE, or unlinked at once where that is missing):
it has no name in any directory, so the kernel frees it when the process dies, however it dies. Its
only name is a symlink in the run's scratch directory (see scratch.py). One thread writes (the SFTP
download), others read what has arrived so far and wait for the rest.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path

from ...campaign.sftp import RemoteFile


class DownloadCancelled(Exception):
    """The reader gave up on the file; the download stops at its next write."""


class RemoteFileChanged(Exception):
    """The remote file changed between attempts after its first bytes had been read."""


class DownloadSpool:
    """The writer side is a file object for `SftpSession.download_to`; `reader()` opens a stream over
    the bytes received so far that blocks until more arrive, the download ends or fails."""

    def __init__(self, remote: RemoteFile, scratch: Path):
        self.remote = remote
        self._file = tempfile.TemporaryFile(dir=scratch, buffering=0)
        self._fd = self._file.fileno()
        self.path = scratch / remote.name
        """Opens the bytes again, named like the remote file (for the reader's failure path)."""
        self.path.symlink_to(f"/proc/self/fd/{self._fd}")
        self._changed = threading.Condition()
        self._written = 0
        self._finished = False
        self._error: BaseException | None = None
        self._cancelled = False
        self._digest = hashlib.sha256()
        self.received_bytes = 0
        """Bytes read from the server for this file, restarts included (set when the download ends)."""

    # --- writer side (the download thread) ---------------------------------------------------

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        view = memoryview(data)
        # Under the lock: close() must not free the descriptor (whose number may be reused) mid-write.
        with self._changed:
            if self._cancelled:
                raise DownloadCancelled(self.remote.name)
            while view:
                view = view[os.pwrite(self._fd, view, self._written + len(data) - len(view)) :]
            self._written += len(data)
            self._changed.notify_all()
        return len(data)

    def tell(self) -> int:
        return self._written

    def seek(self, offset: int) -> int:
        if offset != self._written:
            raise RemoteFileChanged(f"{self.remote.name} changed on the server while it was downloaded")
        return offset

    def truncate(self) -> int:
        return self._written

    def finish(self) -> None:
        with self._changed:
            self._finished = True
            self._changed.notify_all()

    def fail(self, error: BaseException) -> None:
        with self._changed:
            self._error = self._error or error
            self._changed.notify_all()

    # --- reader side -------------------------------------------------------------------------

    @property
    def error(self) -> BaseException | None:
        """Why the download failed, if it did."""
        return self._error

    def wait(self) -> str:
        """Block until the download ends; its SHA-256, or the download's error raised."""
        with self._changed:
            self._changed.wait_for(lambda: self._finished or self._error is not None)
        if self._error is not None:
            raise self._error
        return self._digest.hexdigest()

    def _wait_beyond(self, position: int) -> int:
        """Bytes available from `position` on (0 at the end of the file)."""
        with self._changed:
            self._changed.wait_for(lambda: self._written > position or self._finished or self._error is not None)
            if self._error is not None:
                raise OSError(f"download of {self.remote.name} failed: {self._error}")
            return self._written - position

    def reader(self) -> SpoolReader:
        return SpoolReader(self)

    def cancel(self) -> None:
        """Stop the download at its next write; a reader waiting for bytes gets an error at once."""
        with self._changed:
            self._cancelled = True
            if not self._finished and self._error is None:
                self._error = DownloadCancelled(self.remote.name)
            self._changed.notify_all()

    def close(self) -> None:
        """Stop the download (if still running) and free the bytes."""
        self.cancel()
        with self._changed:
            self.path.unlink(missing_ok=True)
            self._file.close()


class SpoolReader:
    """A binary stream over a spool from its start: `read(n)` blocks until bytes arrive; b"" at EOF."""

    def __init__(self, spool: DownloadSpool):
        self._spool = spool
        self._position = 0
        self.closed = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        available = self._spool._wait_beyond(self._position)
        if not available:
            return b""
        count = available if size is None or size < 0 else min(size, available)
        data = os.pread(self._spool._fd, count, self._position)
        self._position += len(data)
        return data

    def close(self) -> None:
        self.closed = True
