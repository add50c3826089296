"""The sandbox's SFTP server: real SSH (asyncssh), chrooted to one directory, like Campaign's.

- Auth: password (`users={name: password}`; a None password means key only) and public keys
  (`authorized_client_keys`: OpenSSH public key strings, or paths of key / authorized_keys files),
  accepted for any configured user. Only the SFTP subsystem is offered: no shell, no exec, no scp.
  One method per connection: asyncssh (since 2.14.1) refuses the second `ssh-userauth` service
  request that paramiko sends for every further method it tries (paramiko issue #2405), so a
  paramiko client should offer exactly one (`look_for_keys=False, allow_agent=False`, key or password).
- Chroot: clients see `root` as `/`; `..` cannot leave it and symlinks cannot be created.
- Host key: ed25519 at `host_key_path` (default `<root>/../ssh_host_ed25519_key`), created once
  and reused, so `host_key_fingerprint` and `known_hosts_line` stay the same across restarts.
- Faults: `server.faults.drop_reads_after(n_bytes, times=1)` drops the connection (TCP FIN, no SSH
  goodbye) once a client has read `n_bytes` from one open file (for resume tests); switchable while
  the server runs.
- Layout: `closed_loop_directories(root, client_ids)`: with one client `upload/` and `response/`
  under the root; with several, `<client_id>/upload` and `<client_id>/response`.

`SftpServer` is asyncio (`await start()` / `await stop()`); `BackgroundSftpServer` runs one on its
own thread for synchronous callers and tests.
"""

from __future__ import annotations

import asyncio
import hmac
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from ..settings import SANDBOX_PASSWORD, SANDBOX_SFTP_USER
from .sftp_host_key import (
    host_key_fingerprint,
    known_hosts_line,
    load_or_create_host_key,
    write_known_hosts_file,
)

HOST_KEY_FILE_NAME = "ssh_host_ed25519_key"


@dataclass(frozen=True)
class ClosedLoopDirectories:
    upload: Path
    response: Path


def closed_loop_directories(
    root: Path, client_ids: Iterable[int], create: bool = True
) -> dict[int, ClosedLoopDirectories]:
    """Upload and response directory of every client, created unless `create` is False."""
    client_ids = list(client_ids)
    layout = {}
    for client_id in client_ids:
        base = Path(root) if len(client_ids) == 1 else Path(root) / str(client_id)
        layout[client_id] = ClosedLoopDirectories(base / "upload", base / "response")
    if create:
        for directories in layout.values():
            directories.upload.mkdir(parents=True, exist_ok=True)
            directories.response.mkdir(parents=True, exist_ok=True)
    return layout


class SftpFaults:
    """Faults switched on and off at run time, from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._drop_after: int | None = None
        self._drops_left = 0

    def drop_reads_after(self, n_bytes: int, times: int = 1) -> None:
        """Abort the next `times` connections that have read `n_bytes` from one open file."""
        with self._lock:
            self._drop_after, self._drops_left = n_bytes, times

    def clear(self) -> None:
        with self._lock:
            self._drop_after, self._drops_left = None, 0

    def take_drop(self, served: int) -> bool:
        """Whether a read on a file that already served `served` bytes must drop; uses up one drop."""
        with self._lock:
            if self._drop_after is None or self._drops_left <= 0 or served < self._drop_after:
                return False
            self._drops_left -= 1
            return True


DROP_DELIVERY_SECONDS = 30.0


class _ChrootedSftp(asyncssh.SFTPServer):
    def __init__(self, channel: asyncssh.SSHServerChannel, root: Path, faults: SftpFaults):
        super().__init__(channel, chroot=str(root).encode())
        self._faults = faults
        self._served: dict[int, int] = {}
        self._dropped = False

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPPermissionDenied("symlinks are not allowed")

    def read(self, file_obj: object, offset: int, size: int):
        served = self._served.get(id(file_obj), 0)
        # Reads the client queued before the drop must not use up the drops meant for later connections.
        if self._dropped or self._faults.take_drop(served):
            first = not self._dropped
            self._dropped = True
            return self._drop_after_delivery() if first else asyncio.get_running_loop().create_future()
        data = super().read(file_obj, offset, size)
        self._served[id(file_obj)] = served + len(data)
        return data

    async def _drop_after_delivery(self) -> None:
        """Drop the connection once the answers already given have left: first the channel's buffer
        (it waits for the client's window, i.e. for the client to read), then a half-close, so the
        kernel sends the queued bytes before the FIN. Never answers: an abort (or an error answer,
        which ends in one) would discard answers still buffered, and a slow client would have
        received nothing at all."""
        deadline = asyncio.get_running_loop().time() + DROP_DELIVERY_SECONDS
        while self.channel.get_write_buffer_size() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.005)  # the channel offers no drain; this is the server's own wait
        self.connection._transport.write_eof()
        await asyncio.get_running_loop().create_future()  # cancelled when the client hangs up

    def close(self, file_obj: object) -> None:
        self._served.pop(id(file_obj), None)
        super().close(file_obj)


class _Authenticator(asyncssh.SSHServer):
    """Password and public-key auth against the configured users; tracks its connection for stop()."""

    def __init__(self, users: Mapping[str, str | None], client_keys: frozenset[bytes], connections: set):
        self._users, self._client_keys, self._connections = users, client_keys, connections
        self._connection: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._connection = conn
        self._connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self._connection)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return any(password is not None for password in self._users.values())

    def validate_password(self, username: str, password: str) -> bool:
        expected = self._users.get(username)
        return expected is not None and hmac.compare_digest(expected.encode(), password.encode())

    def public_key_auth_supported(self) -> bool:
        return bool(self._client_keys)

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return username in self._users and key.public_data in self._client_keys


def _load_client_keys(keys: Iterable[str | Path] | None) -> frozenset[bytes]:
    loaded: list[asyncssh.SSHKey] = []
    for key in keys or ():
        if isinstance(key, Path) or not str(key).lstrip().startswith(("ssh-", "ecdsa-", "sk-")):
            loaded.extend(asyncssh.read_public_key_list(str(key)))
        else:
            loaded.append(asyncssh.import_public_key(str(key).strip()))
    return frozenset(k.public_data for k in loaded)


class SftpServer:
    """An asyncssh SFTP server on 127.0.0.1 serving `root`."""

    def __init__(
        self,
        root: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        users: Mapping[str, str | None] | None = None,
        authorized_client_keys: Iterable[str | Path] | None = None,
        host_key_path: Path | None = None,
    ):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.host, self.port = host, port
        self.users = dict(users if users is not None else {SANDBOX_SFTP_USER: SANDBOX_PASSWORD})
        self.client_keys = _load_client_keys(authorized_client_keys)
        self.host_key = load_or_create_host_key(host_key_path or self.root.parent / HOST_KEY_FILE_NAME)
        self.faults = SftpFaults()
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._connections: set[asyncssh.SSHServerConnection] = set()

    @property
    def host_key_fingerprint(self) -> str:
        return host_key_fingerprint(self.host_key)

    @property
    def known_hosts_line(self) -> str:
        return known_hosts_line(self.host, self.port, self.host_key)

    def write_known_hosts(self, path: Path) -> Path:
        """Write a known_hosts file pinning this server's key at its current port."""
        return write_known_hosts_file(path, self.host, self.port, self.host_key)

    async def start(self) -> int:
        """Listen; returns the port (the chosen one when constructed with port 0)."""
        self._acceptor = await asyncssh.listen(
            self.host,
            self.port,
            server_factory=lambda: _Authenticator(self.users, self.client_keys, self._connections),
            server_host_keys=[self.host_key],
            sftp_factory=lambda channel: _ChrootedSftp(channel, self.root, self.faults),
            allow_scp=False,
            kbdint_auth=False,
            gss_host=None,
            config=None,
        )
        self.port = self._acceptor.get_port()
        return self.port

    async def stop(self) -> None:
        """Stop listening and close every open connection."""
        if self._acceptor is None:
            return
        self._acceptor.close()
        await self._acceptor.wait_closed()
        connections = list(self._connections)
        for connection in connections:
            try:
                connection.close()
            except RuntimeError:  # half-closed by the fault switch: nothing more can be sent on it
                connection.abort()
        await asyncio.gather(*(c.wait_closed() for c in connections), return_exceptions=True)
        self._acceptor = None


class BackgroundSftpServer:
    """An SftpServer on its own event loop thread, for synchronous code: `start()`, `.port`, `stop()`."""

    def __init__(self, root: Path, **options):
        self.server = SftpServer(root, **options)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def faults(self) -> SftpFaults:
        return self.server.faults

    @property
    def host_key_fingerprint(self) -> str:
        return self.server.host_key_fingerprint

    @property
    def known_hosts_line(self) -> str:
        return self.server.known_hosts_line

    def write_known_hosts(self, path: Path) -> Path:
        return self.server.write_known_hosts(path)

    def start(self, timeout: float = 10.0) -> BackgroundSftpServer:
        """Listen on the server's thread; returns self once listening (`port` is then known)."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sandbox-sftp", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(timeout)
        except BaseException:
            self._shut_loop()
            raise
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(timeout)
        finally:
            self._shut_loop()

    def _shut_loop(self) -> None:
        assert self._loop is not None and self._thread is not None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> BackgroundSftpServer:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def write_known_hosts(path: Path, server: SftpServer | BackgroundSftpServer) -> Path:
    """Write a known_hosts file pinning a running server's host key at its port."""
    return server.write_known_hosts(path)
