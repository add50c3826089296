"""Upload under a temporary name, then rename: the closed-loop server must never see a partial file.

The server imports every new `*_subscribers.csv` every 10 minutes, so the temporary name
`.<final_name>.part` is chosen to match no import pattern. A connection lost *during* the rename is
the dangerous case: the server may already have the final file (and may already have sent the
mailing), so that case is resolved by looking, never by uploading again blindly.
"""

from __future__ import annotations

import errno
import logging
import posixpath
from pathlib import Path

import paramiko

from episerver_assets.campaign.errors import CampaignSftpError
from episerver_assets.campaign.sftp.progress import TransferProgress

logger = logging.getLogger("episerver_assets.campaign.sftp")

WRITE_SIZE = paramiko.SFTPFile.MAX_REQUEST_SIZE


def temporary_name(final_name: str) -> str:
    """The name a file carries on the server while it is being written."""
    return f".{final_name}.part"


def stat_or_none(sftp: paramiko.SFTPClient, path: str) -> paramiko.SFTPAttributes | None:
    try:
        return sftp.stat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise


def _channel_alive(sftp: paramiko.SFTPClient) -> bool:
    channel = sftp.get_channel()
    return channel is not None and not channel.closed and channel.get_transport().is_active()


class RestartableUpload:
    """State shared by the attempts of one upload; an attempt restarts the transfer from byte 0."""

    def __init__(self, local_path: Path, remote_dir: str, final_name: str) -> None:
        if not final_name or "/" in final_name or final_name.startswith("."):
            raise ValueError(f"final_name must be a plain, visible file name, got {final_name!r}")
        self.local_path = local_path
        self.size = local_path.stat().st_size
        self.temp_path = posixpath.join(remote_dir, temporary_name(final_name))
        self.final_path = posixpath.join(remote_dir, final_name)
        self._rename_sent = False

    def attempt(self, sftp: paramiko.SFTPClient) -> paramiko.SFTPAttributes:
        """Write, verify and rename; returns the attributes of the final remote file."""
        if self._rename_sent:
            return self._resolve_interrupted_rename(sftp)
        written = self._write_temporary(sftp)
        self._rename(sftp)
        # The verified bytes are what the rename moved; the final file is not stat-ed again, since the
        # server may take it away (import it) the moment it appears.
        return written

    def _write_temporary(self, sftp: paramiko.SFTPClient) -> paramiko.SFTPAttributes:
        progress = TransferProgress("upload", self.final_path, self.size)
        with self.local_path.open("rb") as source, sftp.open(self.temp_path, "wb") as target:
            # Pipelined writes do not wait for each reply; close() collects them and raises errors.
            target.set_pipelined(True)
            while chunk := source.read(WRITE_SIZE):
                target.write(chunk)
                progress.add(len(chunk))
        written = self._verified(sftp, self.temp_path)
        progress.finish()
        return written

    def _verified(self, sftp: paramiko.SFTPClient, path: str) -> paramiko.SFTPAttributes:
        attrs = sftp.stat(path)
        if attrs.st_size != self.size:
            raise CampaignSftpError(
                "upload", path, f"size mismatch: server has {attrs.st_size} bytes, sent {self.size}"
            )
        return attrs

    def _rename(self, sftp: paramiko.SFTPClient) -> None:
        self._rename_sent = True
        try:
            sftp.posix_rename(self.temp_path, self.final_path)
            return
        except OSError as exc:
            if not _channel_alive(sftp) or exc.errno in (errno.ENOENT, errno.EACCES):
                raise
            logger.debug("SFTP posix-rename unsupported (%s); falling back to remove + rename", exc)
        # Plain SFTP rename refuses to overwrite, hence the remove first.
        if stat_or_none(sftp, self.final_path) is not None:
            sftp.remove(self.final_path)
        sftp.rename(self.temp_path, self.final_path)

    def _resolve_interrupted_rename(self, sftp: paramiko.SFTPClient) -> paramiko.SFTPAttributes:
        final = stat_or_none(sftp, self.final_path)
        if final is not None and final.st_size == self.size:
            logger.info("SFTP upload %s: the rename completed before the connection dropped", self.final_path)
            return final
        temp = stat_or_none(sftp, self.temp_path)
        if temp is not None and temp.st_size == self.size:
            self._rename(sftp)
            return temp
        raise CampaignSftpError(
            "upload",
            self.final_path,
            "connection dropped during the rename and neither the temporary nor the final file is "
            "there; the server may already have imported it, so it is not uploaded again",
        )
