"""The sandbox SFTP server's host key: created once per data directory, then reused.

A stable key lets clients pin it (known_hosts or a SHA256 fingerprint) across sandbox restarts,
as they would pin the real server's key. The key file lives outside the SFTP root, so no SFTP user
can download it.
"""

from __future__ import annotations

import os
from pathlib import Path

import asyncssh


def load_or_create_host_key(path: Path) -> asyncssh.SSHKey:
    """Read the ed25519 key at `path`, generating and saving it (mode 0600) the first time."""
    path = Path(path)
    if path.exists():
        return asyncssh.read_private_key(str(path))
    key = asyncssh.generate_private_key("ssh-ed25519", comment="episerver-assets sandbox")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key.export_private_key("openssh"))
    os.replace(temporary, path)
    return key


def host_key_fingerprint(key: asyncssh.SSHKey) -> str:
    """`SHA256:<base64>` as `ssh-keygen -lf` and OpenSSH print it."""
    return key.get_fingerprint("sha256")


def public_key_text(key: asyncssh.SSHKey) -> str:
    """`ssh-ed25519 AAAA...` without a comment."""
    algorithm, data, *_comment = key.export_public_key("openssh").decode("ascii").split()
    return f"{algorithm} {data}"


def known_hosts_line(host: str, port: int, key: asyncssh.SSHKey) -> str:
    """The OpenSSH known_hosts line for the server: `[127.0.0.1]:2222 ssh-ed25519 AAAA...`."""
    name = host if port == 22 else f"[{host}]:{port}"
    return f"{name} {public_key_text(key)}"


def write_known_hosts_file(path: Path, host: str, port: int, key: asyncssh.SSHKey) -> Path:
    """Write a known_hosts file holding only this server's line; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(known_hosts_line(host, port, key) + "\n", encoding="ascii")
    os.replace(temporary, path)
    return path
