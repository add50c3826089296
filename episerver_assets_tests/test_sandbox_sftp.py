"""The sandbox SFTP server over real SSH, driven by a real paramiko client."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import paramiko
import pytest

from episerver_assets.sandbox.sftp_host_key import write_known_hosts_file
from episerver_assets.sandbox.sftp_server import BackgroundSftpServer, closed_loop_directories, write_known_hosts

USER, PASSWORD = "loop", "s3cret; \"quoted\""


@pytest.fixture
def data_dir(tmp_path) -> Path:
    root = tmp_path / "data" / "sftp"
    (root / "response").mkdir(parents=True)
    (root / "response" / "20240517_opens.csv").write_bytes("ü".encode() * 100_000)
    (tmp_path / "data" / "secret.txt").write_text("outside the root")
    return tmp_path / "data"


@pytest.fixture
def server(data_dir, client_key):
    sftp = BackgroundSftpServer(
        data_dir / "sftp",
        users={USER: PASSWORD},
        authorized_client_keys=[client_key[1]],
        host_key_path=data_dir / "host_key",
    )
    sftp.start()
    yield sftp
    sftp.stop()


def _transport(port: int) -> paramiko.Transport:
    transport = paramiko.Transport(("127.0.0.1", port))
    transport.start_client(timeout=10)
    return transport


@contextlib.contextmanager
def _session(port: int, password: str = PASSWORD) -> Iterator[paramiko.SFTPClient]:
    """An SFTP session logged in with a password; its transport is closed afterwards."""
    transport = _transport(port)
    try:
        transport.auth_password(USER, password)
        yield paramiko.SFTPClient.from_transport(transport)
    finally:
        transport.close()


def _pinned_connect(known_hosts: Path, port: int) -> paramiko.SSHClient:
    """An SSHClient that trusts only the keys in `known_hosts`, logged in with the password."""
    ssh = paramiko.SSHClient()
    ssh.load_host_keys(str(known_hosts))
    ssh.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        ssh.connect(
            "127.0.0.1", port=port, username=USER, password=PASSWORD, look_for_keys=False, allow_agent=False
        )
    except BaseException:
        ssh.close()
        raise
    return ssh


def test_password_login_lists_downloads_and_uploads(server, data_dir):
    with _session(server.port) as sftp:
        assert sorted(sftp.listdir("/")) == ["response"]
        assert sftp.listdir("response") == ["20240517_opens.csv"]
        with sftp.open("response/20240517_opens.csv") as remote:
            assert remote.read() == "ü".encode() * 100_000
        sftp.mkdir("upload")
        sftp.putfo(io.BytesIO(b'"Email"\n'), "upload/20240517103000_subscribers.csv.part")
        sftp.posix_rename("upload/20240517103000_subscribers.csv.part", "upload/20240517103000_subscribers.csv")
    assert (data_dir / "sftp" / "upload" / "20240517103000_subscribers.csv").read_bytes() == b'"Email"\n'


def test_wrong_password_and_unknown_key_are_refused(server):
    with pytest.raises(paramiko.AuthenticationException), _session(server.port, password="wrong"):
        pass
    stranger = paramiko.Ed25519Key.from_private_key(
        io.StringIO(asyncssh.generate_private_key("ssh-ed25519").export_private_key("openssh").decode())
    )
    transport = _transport(server.port)
    try:
        with pytest.raises(paramiko.AuthenticationException):
            transport.auth_publickey(USER, stranger)
    finally:
        transport.close()


def test_public_key_login(server, client_key):
    transport = _transport(server.port)
    try:
        transport.auth_publickey(USER, paramiko.Ed25519Key.from_private_key_file(str(client_key[0])))
        assert paramiko.SFTPClient.from_transport(transport).listdir("/") == ["response"]
    finally:
        transport.close()


def test_key_only_user_from_an_authorized_keys_file(data_dir, client_key, tmp_path):
    authorized = tmp_path / "authorized_keys"
    authorized.write_text(client_key[1])
    with BackgroundSftpServer(data_dir / "sftp", users={USER: None}, authorized_client_keys=[authorized]) as sftp:
        # asyncssh allows one userauth service request per connection (paramiko#2405): one method each.
        with pytest.raises(paramiko.BadAuthenticationType), _session(sftp.port, password=""):
            pass
        transport = _transport(sftp.port)
        try:
            transport.auth_publickey(USER, paramiko.Ed25519Key.from_private_key_file(str(client_key[0])))
            assert transport.is_authenticated()
        finally:
            transport.close()


def test_clients_cannot_leave_the_root(server):
    with _session(server.port) as sftp:
        assert sftp.normalize("../../..") == "/"
        assert sorted(sftp.listdir("/../..")) == ["response"]
        with pytest.raises(FileNotFoundError):
            sftp.stat("../secret.txt")
        with pytest.raises(PermissionError):
            sftp.symlink("/../secret.txt", "response/link")


def test_host_key_is_stable_across_restarts_and_pinned_by_known_hosts(data_dir, tmp_path):
    options = dict(users={USER: PASSWORD}, host_key_path=data_dir / "host_key")
    with BackgroundSftpServer(data_dir / "sftp", **options) as first:
        fingerprint, first_line = first.host_key_fingerprint, first.known_hosts_line
        probe = _transport(first.port)
        seen = probe.get_remote_server_key()
        probe.close()
    with BackgroundSftpServer(data_dir / "sftp", **options) as second:
        known_hosts = write_known_hosts(tmp_path / "known_hosts", second)
        assert second.host_key_fingerprint == fingerprint
        assert first_line.split()[1:] == second.known_hosts_line.split()[1:]
        assert known_hosts.read_text() == f"[127.0.0.1]:{second.port} {' '.join(first_line.split()[1:])}\n"
        digest = base64.b64encode(hashlib.sha256(seen.asbytes()).digest()).decode().rstrip("=")
        assert fingerprint == f"SHA256:{digest}"
        _pinned_connect(known_hosts, second.port).close()
    assert (data_dir / "host_key").stat().st_mode & 0o777 == 0o600


def test_a_pinning_client_rejects_another_host_key(server, tmp_path):
    impostor = asyncssh.generate_private_key("ssh-ed25519")
    known_hosts = write_known_hosts_file(tmp_path / "known_hosts", "127.0.0.1", server.port, impostor)
    with pytest.raises(paramiko.BadHostKeyException):
        _pinned_connect(known_hosts, server.port)


def test_fault_drops_a_download_once_and_a_resumed_download_completes(server):
    expected = "ü".encode() * 100_000
    server.faults.drop_reads_after(64 * 1024)
    received = bytearray()
    with pytest.raises((OSError, EOFError, paramiko.SSHException)), _session(server.port) as sftp:
        with sftp.open("response/20240517_opens.csv") as remote:
            while chunk := remote.read(32 * 1024):
                received += chunk
    assert 64 * 1024 <= len(received) < len(expected)
    with _session(server.port) as sftp, sftp.open("response/20240517_opens.csv") as remote:
        remote.seek(len(received))
        received += remote.read()
    assert bytes(received) == expected


def test_faults_can_be_cleared_at_run_time(server):
    server.faults.drop_reads_after(0, times=5)
    server.faults.clear()
    with _session(server.port) as sftp, sftp.open("response/20240517_opens.csv") as remote:
        assert len(remote.read()) == 200_000


def test_closed_loop_directories_for_one_and_several_clients(tmp_path):
    single = closed_loop_directories(tmp_path / "one", [1000])
    assert single[1000].upload == tmp_path / "one" / "upload" and single[1000].upload.is_dir()
    assert single[1000].response == tmp_path / "one" / "response" and single[1000].response.is_dir()
    several = closed_loop_directories(tmp_path / "many", [1000, 2000])
    assert several[2000].upload == tmp_path / "many" / "2000" / "upload" and several[2000].upload.is_dir()
    assert several[1000].response == tmp_path / "many" / "1000" / "response"


def test_default_host_key_lives_beside_the_root_not_inside(tmp_path):
    root = tmp_path / "data" / "sftp"
    with BackgroundSftpServer(root) as first:
        fingerprint = first.host_key_fingerprint
    assert (tmp_path / "data" / "ssh_host_ed25519_key").is_file() and list(root.iterdir()) == []
    with BackgroundSftpServer(root) as second:
        assert second.host_key_fingerprint == fingerprint
