"""An SFTP session: one SSH connection reused for many operations, re-opened when it drops.

Every operation runs through `_run`, which retries only failures that a new connection can cure
(dropped connection, timeout, refused connect) with bounded, jittered backoff, logging each retry with
its reason. Wrong credentials, an untrusted host key or a missing file fail at once.
"""

from __future__ import annotations

import builtins
import fnmatch
import logging
import os
import posixpath
import stat
import tempfile
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Callable, TypeVar

import paramiko

from episerver_assets.campaign.errors import CampaignSftpError
from episerver_assets.campaign.retry import RetryPolicy
from episerver_assets.campaign.sftp.connection import SftpConnection, SftpSettings, open_connection
from episerver_assets.campaign.sftp.download import ResumableDownload
from episerver_assets.campaign.sftp.failures import to_campaign_error, transient_reason
from episerver_assets.campaign.sftp.models import RemoteFile
from episerver_assets.campaign.sftp.upload import RestartableUpload, stat_or_none


logger = logging.getLogger("episerver_assets.campaign.sftp")

T = TypeVar("T")


class SftpSession:
    """Operations against one Campaign SFTP account; use as a context manager (closes the connection)."""

    def __init__(self, settings: SftpSettings, retry: RetryPolicy) -> None:
        self._settings = settings
        self._retry = retry
        self._connection: SftpConnection | None = None
        self.bytes_received = 0
        """File bytes read from the server by downloads on this session, retries included."""

    def __enter__(self) -> SftpSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def host_key_fingerprint(self) -> str:
        """Fingerprint of the (verified) server host key; connects if not yet connected."""
        self._run("connect", self._settings.address, lambda sftp: None)
        assert self._connection is not None
        return self._connection.host_key_fingerprint

    def close(self) -> None:
        """Close the connection if one is open."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _connect(self) -> SftpConnection:
        if self._connection is None:
            self._connection = open_connection(self._settings)
        return self._connection

    def _run(self, operation: str, path: str, action: Callable[[paramiko.SFTPClient], T]) -> T:
        attempt = 1
        while True:
            try:
                return action(self._connect().sftp)
            except Exception as exc:
                alive = self._connection is not None and self._connection.is_alive()
                reason = transient_reason(exc, alive)
                if reason is None:
                    raise to_campaign_error(operation, path, self._settings.address, exc) from exc
                self.close()
                if not self._retry.may_retry(attempt):
                    where = self._settings.address
                    raise CampaignSftpError(
                        operation, path, f"gave up after {attempt} attempts on {where}: {reason}"
                    ) from exc
                delay = self._retry.delay(attempt)
                logger.warning(
                    "SFTP %s %s on %s: attempt %d of %d failed (%s); reconnecting in %.1fs",
                    operation,
                    path,
                    self._settings.address,
                    attempt,
                    self._retry.max_attempts,
                    reason,
                    delay,
                )
                self._retry.sleep(delay)
                attempt += 1

    def stat(self, remote_path: str) -> RemoteFile:
        """Name, size and mtime of one remote file."""
        attrs = self._run("stat", remote_path, lambda sftp: sftp.stat(remote_path))
        return RemoteFile.from_attributes(remote_path.rsplit("/", 1)[-1], attrs)

    def find(self, remote_path: str) -> RemoteFile | None:
        """Like `stat`, but None when the file or its directory does not exist."""
        attrs = self._run("stat", remote_path, lambda sftp: stat_or_none(sftp, remote_path))
        return None if attrs is None else RemoteFile.from_attributes(posixpath.basename(remote_path), attrs)

    def list(self, directory: str, pattern: str = "*.csv") -> builtins.list[RemoteFile]:
        """Regular files in `directory` whose names match the fnmatch `pattern`, sorted by name."""

        def listing(sftp: paramiko.SFTPClient) -> builtins.list[paramiko.SFTPAttributes]:
            return sftp.listdir_attr(directory)

        entries = self._run("list", directory, listing)
        return sorted(
            (
                RemoteFile.from_attributes(entry.filename, entry)
                for entry in entries
                if stat.S_ISREG(entry.st_mode or 0) and fnmatch.fnmatchcase(entry.filename, pattern)
            ),
            key=lambda remote: remote.name,
        )

    def download(self, remote_path: str, local_path: str | os.PathLike[str]) -> RemoteFile:
        """Copy a remote file to `local_path`, resuming after dropped connections.

        Bytes go to a temporary file next to the target; only a complete file whose size equals
        the remote size is renamed (atomically) to `local_path`, so readers never see a partial file.
        """
        target = Path(local_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        temp_path = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as out:
                remote = self.download_to(remote_path, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp_path, target)
        except BaseException:
            temp_path.unlink(missing_ok=True)
            raise
        return remote

    def download_to(self, remote_path: str, out: BinaryIO) -> RemoteFile:
        """Write a remote file's bytes to `out` (write, tell, seek, truncate), resuming after dropped
        connections from `out`'s position; fails unless exactly the remote size was received."""
        transfer = ResumableDownload(remote_path, out)
        try:
            attrs = self._run("download", remote_path, transfer.attempt)
        finally:
            self.bytes_received += transfer.received_bytes
        received = out.tell()
        if received != attrs.st_size:
            raise CampaignSftpError(
                "download",
                remote_path,
                f"size mismatch: received {received} bytes, server reported {attrs.st_size}",
            )
        assert transfer.progress is not None
        transfer.progress.finish()
        return RemoteFile.from_attributes(posixpath.basename(remote_path), attrs)

    def upload(self, local_path: str | os.PathLike[str], remote_dir: str, final_name: str) -> RemoteFile:
        """Upload as `.<final_name>.part` in `remote_dir`, verify its size, rename to `final_name`."""
        transfer = RestartableUpload(Path(local_path), remote_dir, final_name)
        attrs = self._run("upload", transfer.final_path, transfer.attempt)
        return RemoteFile.from_attributes(final_name, attrs)
