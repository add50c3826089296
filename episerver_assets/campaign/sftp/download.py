"""One download attempt that can pick up where the previous attempt stopped.

The local temporary file stays open across attempts; its position is the number of bytes received,
so after a reconnect the next attempt seeks the remote file to that offset and prefetches the rest.
"""

from __future__ import annotations

import logging
from typing import BinaryIO

import paramiko

from episerver_assets.campaign.sftp.progress import TransferProgress

logger = logging.getLogger("episerver_assets.campaign.sftp")

class TransferInterrupted(EOFError):
    """The remote file ended before its stat size: paramiko reports a dropped channel as EOF."""


class ResumableDownload:
    """State shared by the attempts of one download: the target file and the remote size/mtime.

    `out` needs write, tell, seek and truncate; its position is the number of bytes received.
    """

    def __init__(self, remote_path: str, out: BinaryIO) -> None:
        self.remote_path = remote_path
        self.out = out
        self.expected: paramiko.SFTPAttributes | None = None
        self.progress: TransferProgress | None = None
        self.received_bytes = 0
        """Bytes read from the server over all attempts (more than the size only after restarts)."""

    def _check_remote_unchanged(self, attrs: paramiko.SFTPAttributes) -> None:
        """Resuming is only safe if the remote file is the one we started with; else start over."""
        if self.expected is None:
            self.expected = attrs
            self.progress = TransferProgress("download", self.remote_path, attrs.st_size or 0)
            return
        if (attrs.st_size, attrs.st_mtime) != (self.expected.st_size, self.expected.st_mtime):
            logger.warning(
                "SFTP download %s: remote file changed between attempts (%s bytes -> %s bytes); "
                "starting over",
                self.remote_path,
                self.expected.st_size,
                attrs.st_size,
            )
            self.out.seek(0)
            self.out.truncate()
            self.expected = attrs
            self.progress = TransferProgress("download", self.remote_path, attrs.st_size or 0)

    def attempt(self, sftp: paramiko.SFTPClient) -> paramiko.SFTPAttributes:
        """Fetch the bytes not yet written; returns the remote attributes the download is checked against."""
        self._check_remote_unchanged(sftp.stat(self.remote_path))
        assert self.expected is not None and self.progress is not None
        size = self.expected.st_size or 0
        offset = self.out.tell()
        if offset:
            logger.info("SFTP download %s: resuming at byte %d of %d", self.remote_path, offset, size)
            self.progress.restart(offset)
        if offset >= size:
            return self.expected
        with sftp.open(self.remote_path, "rb") as remote:
            remote.seek(offset)
            # Queue read requests for the whole rest of the file: the SSH window, not the request
            # count, then bounds what is in flight, and throughput no longer waits on round trips.
            remote.prefetch(size)
            while offset < size:
                # Paramiko's prefetch issues requests of the file's MAX_REQUEST_SIZE (raised per file
                # where the server allows, see throughput.py): reading that much per call copies least.
                chunk = remote.read(min(remote.MAX_REQUEST_SIZE, size - offset))
                if not chunk:
                    raise TransferInterrupted(f"remote data ended at byte {offset} of {size}")
                self.out.write(chunk)
                self.received_bytes += len(chunk)
                offset += len(chunk)
                self.progress.add(len(chunk))
        return self.expected
