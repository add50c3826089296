"""The SFTP client's bulk-transfer tuning: AES-GCM first, SFTP requests as large as the server
allows (and only that large), byte-exact downloads with them."""

from __future__ import annotations

from collections import Counter

import paramiko
import pytest
from paramiko.message import Message
from paramiko.sftp import CMD_EXTENDED_REPLY

from episerver_assets.campaign.sftp.connection import open_connection
from episerver_assets.campaign.sftp.throughput import (
    MAX_REQUEST_BYTES,
    SAFE_REQUEST_BYTES,
    TunedSftpClient,
    TunedTransport,
)
from episerver_assets.sandbox import sftp_server

from .sftp_loopback import MIB, payload
from .sftp_loopback import client, known_hosts, root, server  # noqa: F401  (pytest fixtures)


@pytest.fixture
def read_sizes(monkeypatch) -> Counter:
    """Sizes of the read requests the sandbox server answers (it runs on a thread of this process)."""
    sizes: Counter = Counter()
    read = sftp_server._ChrootedSftp.read

    def counted(self, file_obj, offset, size):
        sizes[size] += 1
        return read(self, file_obj, offset, size)

    monkeypatch.setattr(sftp_server._ChrootedSftp, "read", counted)
    return sizes


def test_a_connection_negotiates_aes_gcm_and_the_servers_request_limit(client):
    connection = open_connection(client.settings())
    try:
        transport = connection.ssh.get_transport()
        assert isinstance(transport, TunedTransport)
        assert transport.remote_cipher == transport.local_cipher == "aes128-gcm@openssh.com"
        # The sandbox (asyncssh) allows 4 MiB reads and writes: our cap applies.
        assert connection.sftp.request_size == MAX_REQUEST_BYTES > SAFE_REQUEST_BYTES
    finally:
        connection.close()


def test_a_download_reads_in_large_requests_and_arrives_byte_exact(client, root, read_sizes, tmp_path):
    content = payload(3 * MIB + 12345)  # not a multiple of the request size: a short last request
    (root / "response" / "big.csv").write_bytes(content)
    client.download("response/big.csv", tmp_path / "big.csv")
    assert (tmp_path / "big.csv").read_bytes() == content
    assert read_sizes[MAX_REQUEST_BYTES] == len(content) // MAX_REQUEST_BYTES
    assert sum(size * count for size, count in read_sizes.items()) >= len(content)


def test_an_upload_arrives_byte_exact_with_large_writes(client, root, tmp_path):
    content = payload(MIB + 7)
    (tmp_path / "out.csv").write_bytes(content)
    client.upload(tmp_path / "out.csv", "upload", "out.csv")
    assert (root / "upload" / "out.csv").read_bytes() == content


def test_ciphers_keep_every_paramiko_default_after_gcm():
    preferred = TunedTransport._preferred_ciphers
    assert preferred[:2] == ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")
    assert set(preferred) == set(paramiko.Transport._preferred_ciphers)


def _client_answering(reply) -> TunedSftpClient:
    """A client whose one request is answered by `reply` (no server involved)."""
    fake = TunedSftpClient.__new__(TunedSftpClient)
    fake._request = reply
    return fake


def _limits(packet: int, read: int, write: int):
    message = Message()
    for value in (packet, read, write, 64):
        message.add_int64(value)
    message.rewind()
    return lambda *args: (CMD_EXTENDED_REPLY, message)


def _unsupported(*args):
    raise OSError("Operation unsupported")


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (_unsupported, SAFE_REQUEST_BYTES),  # a server without the extension gets what every server takes
        (_limits(262144, 261120, 261120), 261120),  # OpenSSH's sftp-server
        (_limits(0, 65536, 0), 65536),  # 0 means "unknown": the other limits and our cap decide
        (_limits(0, 0, 0), MAX_REQUEST_BYTES),
    ],
)
def test_request_size_follows_the_servers_limits(reply, expected):
    assert _client_answering(reply).negotiate_request_size() == expected
