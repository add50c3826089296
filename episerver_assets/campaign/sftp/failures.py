"""Sort SFTP failures into "the connection broke, try again" and "this will never work".

Paramiko reports a dropped connection as EOFError, socket errors, timeouts or a bare SSHException,
and reports remote file errors as IOError, which is the same class as socket errors. The deciding
question for an OSError is therefore whether the transport is still alive.
"""

from __future__ import annotations

import errno
import socket

import paramiko

from episerver_assets.campaign.errors import (
    CampaignError,
    CampaignHostKeyError,
    CampaignSftpError,
)
from episerver_assets.campaign.sftp.host_keys import HostKeyRejected, fingerprint_of

_PERMANENT = (
    paramiko.AuthenticationException,
    paramiko.BadHostKeyException,
    paramiko.IncompatiblePeer,  # no common algorithms: a new connection negotiates the same way
    HostKeyRejected,
    CampaignError,
)


def describe(exc: BaseException) -> str:
    """A short, secret-free description: exception type plus its message."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def transient_reason(exc: BaseException, connection_alive: bool) -> str | None:
    """Why a reconnect may help (the description of `exc`), or None if retrying is pointless."""
    if isinstance(exc, _PERMANENT):
        return None
    if isinstance(exc, (EOFError, socket.timeout, ConnectionError, paramiko.SSHException)):
        return describe(exc)
    if isinstance(exc, OSError) and not connection_alive:
        return describe(exc)
    return None


def to_campaign_error(operation: str, path: str, address: str, exc: BaseException) -> CampaignError:
    """Translate a permanent (or finally exhausted) failure into the Campaign error hierarchy."""
    if isinstance(exc, CampaignError):
        return exc
    if isinstance(exc, HostKeyRejected):
        return CampaignHostKeyError("verify host key", address, str(exc))
    if isinstance(exc, paramiko.BadHostKeyException):
        return CampaignHostKeyError(
            "verify host key",
            address,
            f"server offered {exc.key.get_name()} key {fingerprint_of(exc.key)}, known_hosts has "
            f"{exc.expected_key.get_name()} key {fingerprint_of(exc.expected_key)}",
        )
    if isinstance(exc, paramiko.AuthenticationException):
        return CampaignSftpError("authenticate", address, f"authentication failed ({describe(exc)})")
    if isinstance(exc, OSError) and exc.errno == errno.ENOENT:
        return CampaignSftpError(operation, path, "no such file or directory")
    if isinstance(exc, OSError) and exc.errno == errno.EACCES:
        return CampaignSftpError(operation, path, "permission denied")
    return CampaignSftpError(operation, path, describe(exc))
