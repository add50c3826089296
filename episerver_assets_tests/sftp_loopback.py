"""The sandbox's real SSH server on loopback, and Campaign SFTP resources pointed at it.

Fixtures for the SFTP client's tests; a test module uses them with
`from .sftp_loopback import client, known_hosts, root, server` (each fixture needs the ones before it
in that list, and `server` needs conftest's `client_key`).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from episerver_assets.campaign.sftp import CampaignSftpResource
from episerver_assets.sandbox.sftp_server import BackgroundSftpServer

USER, PASSWORD = "loop", "pa55-not-logged"
LOGGER = "episerver_assets.campaign.sftp"
MIB = 1024 * 1024


def payload(size: int) -> bytes:
    """Random-looking but reproducible bytes, so a resume at a wrong offset cannot go unnoticed."""
    return random.Random(size).randbytes(size)


@pytest.fixture
def root(tmp_path) -> Path:
    root = tmp_path / "sftp"
    (root / "response").mkdir(parents=True)
    (root / "upload").mkdir()
    return root


@pytest.fixture
def server(tmp_path, root, client_key):
    sftp = BackgroundSftpServer(
        root,
        users={USER: PASSWORD},
        authorized_client_keys=[client_key[1]],
        host_key_path=tmp_path / "host_key",
    )
    sftp.start()
    yield sftp
    sftp.stop()


@pytest.fixture
def known_hosts(tmp_path, server) -> Path:
    return server.write_known_hosts(tmp_path / "known_hosts")


def loopback_resource(port: int, **overrides) -> CampaignSftpResource:
    options = dict(
        port=port,
        username=USER,
        password=PASSWORD,
        connect_timeout=5.0,
        operation_timeout=10.0,
        retry_base_delay=0.01,
        retry_max_delay=0.05,
    )
    options.update(overrides)
    return CampaignSftpResource(**options)


@pytest.fixture
def client(server, known_hosts) -> CampaignSftpResource:
    return loopback_resource(server.port, known_hosts_path=str(known_hosts))
