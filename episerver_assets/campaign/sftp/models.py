"""Plain values returned by the SFTP client."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import paramiko


@dataclass(frozen=True)
class RemoteFile:
    """A file on the SFTP server: its name (no directory), size in bytes and modification time (UTC)."""

    name: str
    size: int
    mtime: datetime

    @classmethod
    def from_attributes(cls, name: str, attrs: paramiko.SFTPAttributes) -> RemoteFile:
        """Build from paramiko's SFTPAttributes (as returned by stat and listdir_attr)."""
        return cls(
            name=name,
            size=attrs.st_size or 0,
            mtime=datetime.fromtimestamp(attrs.st_mtime or 0, tz=timezone.utc),
        )


@dataclass(frozen=True)
class SftpCheckResult:
    """What `doctor` reports after a successful check."""

    address: str
    host_key_fingerprint: str
    response_dir: str
    response_file_count: int

    def summary(self) -> str:
        """One line for the doctor output."""
        return (
            f"SFTP {self.address}: connected, host key {self.host_key_fingerprint}, "
            f"{self.response_dir}/ holds {self.response_file_count} CSV files"
        )
