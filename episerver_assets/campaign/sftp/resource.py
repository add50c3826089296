"""`CampaignSftpResource`: the Dagster resource for the Campaign closed-loop SFTP account."""

from __future__ import annotations

import builtins
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Optional

import dagster as dg
from pydantic import Field

from episerver_assets.campaign.errors import CampaignConfigError
from episerver_assets.campaign.retry import RetryPolicy
from episerver_assets.campaign.sftp.connection import SftpSettings
from episerver_assets.campaign.sftp.host_keys import normalise_fingerprint
from episerver_assets.campaign.sftp.models import RemoteFile, SftpCheckResult
from episerver_assets.campaign.sftp.session import SftpSession
from episerver_assets.pgp.keys import PgpKeys
from episerver_assets.settings import SANDBOX_HOST, SANDBOX_SFTP_PORT, SANDBOX_SFTP_USER, Settings, load_settings
from episerver_assets.settings import resolved as _resolved


class CampaignSftpResource(dg.ConfigurableResource):
    """SFTP access to Optimizely Campaign's closed-loop interface (response files, recipient uploads).

    The server's host key is always verified: against `known_hosts_path`, `host_key_fingerprint`, or
    both (then both must match); with neither, every key is refused.
    Every method outside `open_session()` opens and closes its own connection; inside a session one
    connection serves all operations.
    """

    host: str = Field(default=SANDBOX_HOST, description="SFTP server host name.")
    port: int = Field(default=SANDBOX_SFTP_PORT, description="SFTP server port.")
    username: str = Field(default=SANDBOX_SFTP_USER, description="SFTP account name.")
    password: Optional[str] = Field(
        default=None, repr=False, description="Password (optional with key auth)."
    )
    private_key_path: Optional[str] = Field(
        default=None, description="Path of an OpenSSH private key for key authentication."
    )
    private_key_passphrase: Optional[str] = Field(
        default=None, repr=False, description="Passphrase of the private key, if it is encrypted."
    )
    known_hosts_path: Optional[str] = Field(
        default=None, description="known_hosts file listing the server's host key."
    )
    host_key_fingerprint: Optional[str] = Field(
        default=None, description="Pinned host key fingerprint as OpenSSH prints it: 'SHA256:...'."
    )
    accept_any_host_key: bool = Field(
        default=False,
        description="Sandbox only: skip host key verification (logs a warning on every connect).",
    )
    connect_timeout: float = Field(
        default=15.0, description="Seconds allowed for each connect phase: TCP, banner, key exchange, auth."
    )
    keepalive_seconds: int = Field(default=30, description="SSH keepalive interval (0 disables).")
    operation_timeout: float = Field(
        default=120.0, description="Seconds a single SFTP request may wait for the server's reply."
    )
    response_dir: str = Field(default="response", description="Directory of the daily response files.")
    upload_dir: str = Field(default="upload", description="Directory for recipient uploads.")
    max_attempts: int = Field(default=5, description="Attempts per operation when the connection drops.")
    retry_base_delay: float = Field(default=1.0, description="First backoff delay in seconds (jittered).")
    retry_max_delay: float = Field(default=30.0, description="Longest backoff delay in seconds.")
    pgp_private_key: Optional[str] = Field(
        default=None, repr=False, description="ASCII-armored PGP private key for encrypted response files."
    )
    pgp_private_key_passphrase: Optional[str] = Field(
        default=None, repr=False, description="Passphrase of the PGP private key, if it has one."
    )
    pgp_public_key: Optional[str] = Field(
        default=None, description="ASCII-armored PGP public key: uploads are encrypted to it when set."
    )
    pgp_sign: bool = Field(default=False, description="Sign encrypted uploads with the PGP private key.")

    @classmethod
    def from_settings(cls, settings: Settings) -> CampaignSftpResource:
        """From the validated EPISERVER_SFTP_* settings; secrets the user set stay dg.EnvVar references.

        The sandbox's known_hosts (`<EPISERVER_DATA_DIR>/sandbox/known_hosts`) applies only while
        EPISERVER_SFTP_HOST is unset; for any other host the settings demand a known_hosts file or a
        fingerprint (see `episerver_assets.settings`).
        """
        return cls(
            host=settings["EPISERVER_SFTP_HOST"] or SANDBOX_HOST,
            port=settings["EPISERVER_SFTP_PORT"],
            username=settings.config("EPISERVER_SFTP_USER"),
            password=settings.config("EPISERVER_SFTP_PASSWORD"),
            private_key_path=settings["EPISERVER_SFTP_PRIVATE_KEY"],
            private_key_passphrase=settings.config("EPISERVER_SFTP_PRIVATE_KEY_PASSPHRASE"),
            known_hosts_path=settings["EPISERVER_SFTP_KNOWN_HOSTS"],
            host_key_fingerprint=settings["EPISERVER_SFTP_HOST_KEY_FINGERPRINT"],
            response_dir=settings["EPISERVER_SFTP_RESPONSE_DIR"],
            upload_dir=settings["EPISERVER_SFTP_UPLOAD_DIR"],
            pgp_private_key=settings.config("EPISERVER_PGP_PRIVATE_KEY"),
            pgp_private_key_passphrase=settings.config("EPISERVER_PGP_PRIVATE_KEY_PASSPHRASE"),
            pgp_public_key=settings["EPISERVER_PGP_PUBLIC_KEY"],
            pgp_sign=settings["EPISERVER_PGP_SIGN"],
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CampaignSftpResource:
        """`from_settings` of the environment's (or `environ`'s) validated settings."""
        return cls.from_settings(load_settings(environ))

    def settings(self) -> SftpSettings:
        """The resolved connection settings; raises CampaignConfigError for a malformed fingerprint."""
        fingerprint = _resolved(self.host_key_fingerprint)
        if fingerprint:
            try:
                fingerprint = normalise_fingerprint(fingerprint)
            except ValueError as exc:
                raise CampaignConfigError(str(exc)) from exc
        return SftpSettings(
            host=_resolved(self.host),
            port=int(_resolved(self.port)),
            username=_resolved(self.username),
            password=_resolved(self.password),
            private_key_path=_resolved(self.private_key_path),
            private_key_passphrase=_resolved(self.private_key_passphrase),
            known_hosts_path=_resolved(self.known_hosts_path),
            host_key_fingerprint=fingerprint,
            accept_any_host_key=self.accept_any_host_key,
            connect_timeout=self.connect_timeout,
            keepalive_seconds=self.keepalive_seconds,
            operation_timeout=self.operation_timeout,
        )

    def pgp_keys(self) -> PgpKeys:
        """The PGP keys for files on this server (resolved: for use inside a run only)."""
        return PgpKeys(_resolved(self.pgp_private_key), _resolved(self.pgp_private_key_passphrase),
                       _resolved(self.pgp_public_key), bool(self.pgp_sign))

    def retry_policy(self) -> RetryPolicy:
        """Backoff for reconnects after a dropped connection."""
        return RetryPolicy(
            max_attempts=self.max_attempts,
            base_delay=self.retry_base_delay,
            max_delay=self.retry_max_delay,
        )

    @contextmanager
    def open_session(self) -> Iterator[SftpSession]:
        """One SSH connection for many operations (connects lazily, closes on exit)."""
        with SftpSession(self.settings(), self.retry_policy()) as session:
            yield session

    def list(self, directory: str, pattern: str = "*.csv") -> builtins.list[RemoteFile]:
        """Files in `directory` matching the fnmatch `pattern`, with size and mtime."""
        with self.open_session() as session:
            return session.list(directory, pattern)

    def download(self, remote_path: str, local_path: str | os.PathLike[str]) -> RemoteFile:
        """Download with resume, size check and atomic rename (see SftpSession.download)."""
        with self.open_session() as session:
            return session.download(remote_path, local_path)

    def upload(self, local_path: str | os.PathLike[str], remote_dir: str, final_name: str) -> RemoteFile:
        """Upload under a temporary name, then rename to `final_name` (see SftpSession.upload)."""
        with self.open_session() as session:
            return session.upload(local_path, remote_dir, final_name)

    def check(self) -> SftpCheckResult:
        """For `doctor`: connect, verify the host key, authenticate, list the response directory.

        One attempt only, so a broken setup is reported at once; raises a CampaignError subclass.
        """
        settings = self.settings()
        with SftpSession(settings, RetryPolicy(max_attempts=1)) as session:
            files = session.list(self.response_dir)
            return SftpCheckResult(
                address=settings.address,
                host_key_fingerprint=session.host_key_fingerprint,
                response_dir=self.response_dir,
                response_file_count=len(files),
            )
