"""Host key verification for the SFTP client: known_hosts, a pinned fingerprint, both, or (sandbox only) none.

Nothing is ever accepted silently: an unknown key is rejected unless it matches the configured
`SHA256:...` fingerprint; with both a known_hosts file and a fingerprint, the key must be listed
in the file AND match the pin; the `accept_any_host_key` escape hatch logs a warning on every connect.
The check runs after key exchange and before authentication, so no credential reaches an unverified
server.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from pathlib import Path

import paramiko

logger = logging.getLogger("episerver_assets.campaign.sftp")

_FINGERPRINT = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}=?$")


class HostKeyRejected(paramiko.SSHException):
    """The server's host key is not trusted by the configuration (raised inside paramiko's connect)."""

    def __init__(self, hostname: str, key: paramiko.PKey, reason: str) -> None:
        self.hostname = hostname
        self.key_type = key.get_name()
        self.fingerprint = fingerprint_of(key)
        super().__init__(f"{hostname} offered {self.key_type} key {self.fingerprint}: {reason}")


def fingerprint_of(key: paramiko.PKey) -> str:
    """The key's fingerprint exactly as `ssh-keygen -lf` prints it (`SHA256:` + unpadded base64)."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def normalise_fingerprint(value: str) -> str:
    """Validate a configured fingerprint and drop base64 padding; raises ValueError if malformed."""
    text = value.strip()
    if not _FINGERPRINT.match(text):
        raise ValueError(
            "host_key_fingerprint must look like 'SHA256:<43 base64 characters>' as OpenSSH prints it"
        )
    return text.rstrip("=")


class RejectUnknownHostKey(paramiko.RejectPolicy):
    """Paramiko's RejectPolicy, with an error that names the offered key so operators can pin it."""

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        raise HostKeyRejected(hostname, key, "host not in known_hosts and no fingerprint configured")


class FingerprintPolicy(paramiko.MissingHostKeyPolicy):
    """Accept a key that is not in known_hosts only if its SHA256 fingerprint is the pinned one."""

    def __init__(self, expected: str) -> None:
        self.expected = normalise_fingerprint(expected)

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        if fingerprint_of(key) != self.expected:
            raise HostKeyRejected(hostname, key, f"does not match configured fingerprint {self.expected}")


class KnownHostsAndFingerprintPolicy(paramiko.MissingHostKeyPolicy):
    """Both configured: the offered key must be in known_hosts under the host's name and match the pin.

    The known_hosts entries are kept here instead of in the client, so that paramiko asks this
    policy about every key (it consults a policy only for hosts missing from its own list).
    """

    def __init__(self, known_hosts: paramiko.HostKeys, expected: str) -> None:
        self.known_hosts = known_hosts
        self.expected = normalise_fingerprint(expected)

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        listed = self.known_hosts.lookup(hostname)
        if listed is None:
            raise HostKeyRejected(hostname, key, "host not in the configured known_hosts")
        expected_key = listed.get(key.get_name())
        if expected_key != key:
            other = expected_key or next(iter(listed.values()))
            raise HostKeyRejected(
                hostname, key, f"known_hosts has {other.get_name()} key {fingerprint_of(other)}"
            )
        if fingerprint_of(key) != self.expected:
            raise HostKeyRejected(hostname, key, f"does not match configured fingerprint {self.expected}")


class AcceptAnyHostKey(paramiko.MissingHostKeyPolicy):
    """Sandbox only: accept whatever key is offered, loudly, and never write it anywhere."""

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        logger.warning(
            "SFTP host key NOT verified for %s (accept_any_host_key=True, sandbox only): %s %s",
            hostname,
            key.get_name(),
            fingerprint_of(key),
        )


def configure_host_key_checking(
    client: paramiko.SSHClient,
    *,
    known_hosts_path: str | None,
    host_key_fingerprint: str | None,
    accept_any_host_key: bool,
) -> None:
    """Load the configured known_hosts (never the user's ~/.ssh) and pick the missing-key policy.

    A key listed in known_hosts under a different type or value fails in paramiko with
    BadHostKeyException regardless of the policy; the policy only decides for hosts not listed.
    With a fingerprint as well, one policy checks both (KnownHostsAndFingerprintPolicy).
    """
    path = Path(known_hosts_path).expanduser() if known_hosts_path else None
    if path is not None and not path.is_file():
        raise FileNotFoundError(f"known_hosts file {path} does not exist")
    if path is not None and host_key_fingerprint and not accept_any_host_key:
        client.set_missing_host_key_policy(
            KnownHostsAndFingerprintPolicy(paramiko.HostKeys(str(path)), host_key_fingerprint)
        )
        return
    if path is not None:
        client.load_host_keys(str(path))
    if accept_any_host_key:
        client.set_missing_host_key_policy(AcceptAnyHostKey())
    elif host_key_fingerprint:
        client.set_missing_host_key_policy(FingerprintPolicy(host_key_fingerprint))
    else:
        client.set_missing_host_key_policy(RejectUnknownHostKey())
