"""Open one authenticated SSH connection with an SFTP channel, every phase bounded in time.

`SftpSettings` is the resolved, plain-value configuration (the Dagster resource builds it); keeping
it separate from the resource lets sessions reconnect without touching Dagster machinery.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import paramiko

from episerver_assets.campaign.errors import CampaignConfigError
from episerver_assets.campaign.sftp.host_keys import configure_host_key_checking, fingerprint_of
from episerver_assets.campaign.sftp.throughput import TunedSftpClient, TunedTransport

logger = logging.getLogger("episerver_assets.campaign.sftp")


@dataclass(frozen=True)
class SftpSettings:
    """Everything needed to (re)connect. Secrets are excluded from repr so they never reach logs."""

    host: str
    port: int
    username: str
    password: str | None = field(default=None, repr=False)
    private_key_path: str | None = None
    private_key_passphrase: str | None = field(default=None, repr=False)
    known_hosts_path: str | None = None
    host_key_fingerprint: str | None = None
    accept_any_host_key: bool = False
    connect_timeout: float = 15.0
    keepalive_seconds: int = 30
    operation_timeout: float = 120.0

    @property
    def address(self) -> str:
        """`user@host:port`, for messages."""
        return f"{self.username}@{self.host}:{self.port}"


@dataclass
class SftpConnection:
    """An SSH client and the SFTP channel opened on it; closing it closes both."""

    ssh: paramiko.SSHClient
    sftp: TunedSftpClient
    host_key_fingerprint: str

    def is_alive(self) -> bool:
        """True while the SSH transport is up (it goes False when the server drops the connection)."""
        transport = self.ssh.get_transport()
        return transport is not None and transport.is_active()

    def close(self) -> None:
        """Close channel and connection; safe to call on an already dropped connection."""
        try:
            self.sftp.close()
        except (OSError, EOFError, paramiko.SSHException):
            pass  # the channel died with the connection; there is nothing left to close politely
        finally:
            self.ssh.close()


def _load_private_key(settings: SftpSettings) -> paramiko.PKey | None:
    if not settings.private_key_path:
        return None
    try:
        return paramiko.PKey.from_path(settings.private_key_path, settings.private_key_passphrase)
    except (OSError, paramiko.SSHException, ValueError) as exc:
        # The exception text names the file and the problem, never the passphrase.
        raise CampaignConfigError(
            f"cannot load SFTP private key {settings.private_key_path}: {type(exc).__name__}: {exc}"
        ) from exc


def open_connection(settings: SftpSettings) -> SftpConnection:
    """Connect, verify the host key, authenticate and open the SFTP channel.

    Raises paramiko/socket exceptions unchanged (the session decides what is worth a retry) and
    CampaignConfigError for configuration that can never work (unreadable key or known_hosts).
    """
    if not settings.password and not settings.private_key_path:
        raise CampaignConfigError("SFTP needs a password or a private_key_path")
    pkey = _load_private_key(settings)
    ssh = paramiko.SSHClient()
    try:
        configure_host_key_checking(
            ssh,
            known_hosts_path=settings.known_hosts_path,
            host_key_fingerprint=settings.host_key_fingerprint,
            accept_any_host_key=settings.accept_any_host_key,
        )
    except (OSError, ValueError) as exc:
        raise CampaignConfigError(f"SFTP host key configuration: {exc}") from exc
    started = time.monotonic()
    try:
        timeout = settings.connect_timeout
        ssh.connect(
            settings.host,
            port=settings.port,
            username=settings.username,
            password=settings.password,
            pkey=pkey,
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
            channel_timeout=timeout,
            allow_agent=False,
            look_for_keys=False,
            transport_factory=TunedTransport,
        )
        transport = ssh.get_transport()
        assert transport is not None  # connect() succeeded, so the transport exists
        transport.set_keepalive(settings.keepalive_seconds)
        # Keep paramiko's default 2 MiB channel window: its receive buffer drops consumed bytes by
        # moving everything behind them, so a larger window made 1 GB downloads twice as CPU-hungry.
        sftp = TunedSftpClient.from_transport(transport)
        if sftp is None:
            raise paramiko.SSHException("the server refused the SFTP channel")
        # Bounds every single request: a server that stops answering raises socket.timeout.
        sftp.get_channel().settimeout(settings.operation_timeout)
        sftp.negotiate_request_size()
    except BaseException:
        ssh.close()
        raise
    fingerprint = fingerprint_of(transport.get_remote_server_key())
    logger.debug(
        "SFTP connected to %s (host key %s, cipher %s, %d-byte requests) in %.2fs",
        settings.address,
        fingerprint,
        transport.remote_cipher,
        sftp.request_size,
        time.monotonic() - started,
    )
    return SftpConnection(ssh=ssh, sftp=sftp, host_key_fingerprint=fingerprint)
