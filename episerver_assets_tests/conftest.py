"""Shared fixtures: warehouses on both engines, a PostgreSQL server."""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest

from episerver_assets.warehouse import WarehouseResource

from .postgres_server import ThrowawayPostgres, find_postgres_bin

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def postgres_server_url():
    """URL of a PostgreSQL server: CI's (EPISERVER_TEST_POSTGRES_URL), else a throwaway one.

    In CI a missing server is a failure, never a skip.
    """
    url = os.environ.get("EPISERVER_TEST_POSTGRES_URL")
    if url:
        try:
            psycopg.connect(url, connect_timeout=10).close()
        except psycopg.Error as error:
            pytest.fail(f"EPISERVER_TEST_POSTGRES_URL is set but the server does not answer: {error}")
        yield url
        return
    if IN_CI:
        pytest.fail("CI=true but EPISERVER_TEST_POSTGRES_URL is not set: .ci/run must start PostgreSQL")
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL tests need initdb on this machine (apt-get install postgresql)")
    server = ThrowawayPostgres(bin_dir)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server_url):
    """A fresh, empty database on the test server, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = postgres_server_url.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(postgres_server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def duckdb_url(tmp_path):
    return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse_url(request):
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def warehouse(warehouse_url):
    return WarehouseResource(url=warehouse_url)


@pytest.fixture
def sandbox(tmp_path):
    """A running sandbox on free loopback ports with three days of response files."""
    import datetime as dt

    from episerver_assets.sandbox.server import Sandbox, SandboxConfig

    config = SandboxConfig(tmp_path / "sandbox", http_port=0, sftp_port=0, response_days=3,
                           today=dt.date(2026, 11, 20))
    with Sandbox(config) as running:
        yield running


@pytest.fixture
def sandbox_env(sandbox, monkeypatch):
    """The process environment pointed at the sandbox, as `episerver-assets sandbox` prints it."""
    for name, value in sandbox.info()["env"].items():
        monkeypatch.setenv(name, value)
    return sandbox.info()["env"]


@pytest.fixture
def client_key(tmp_path):
    """An ed25519 SSH client key for this test: (private key file for paramiko, public key text)."""
    import asyncssh

    key = asyncssh.generate_private_key("ssh-ed25519")
    path = tmp_path / "client_ed25519"
    path.write_bytes(key.export_private_key("openssh"))
    return path, key.export_public_key("openssh").decode()


@pytest.fixture(autouse=True)
def _restored_environment():
    """Every test ends with the environment it started with. `monkeypatch` restores only what it set; the
    demo, run in process by some tests, points os.environ at its own sandbox and keys (as a command may),
    which would otherwise reach every later test (a PGP public key made later sends encrypt)."""
    saved = dict(os.environ)
    yield
    if dict(os.environ) != saved:
        os.environ.clear()
        os.environ.update(saved)
