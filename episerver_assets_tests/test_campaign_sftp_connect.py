"""The Campaign SFTP client connecting: password and key auth, host key checks, a bounded connect,
and the resource's settings from the environment and inside a Dagster run."""

from __future__ import annotations

import logging
import socket
import time

import asyncssh
import dagster as dg
import pytest

from episerver_assets.campaign.errors import CampaignConfigError, CampaignHostKeyError, CampaignSftpError
from episerver_assets.campaign.sftp import CampaignSftpResource

from .sftp_loopback import LOGGER, PASSWORD, loopback_resource
from .sftp_loopback import client, known_hosts, root, server  # noqa: F401  (pytest fixtures)


def test_check_with_password_auth_and_known_hosts(client, server, root):
    (root / "response" / "20240517_opens.csv").write_text("id\n1\n")
    result = client.check()
    assert result.host_key_fingerprint == server.host_key_fingerprint
    assert result.response_file_count == 1
    assert str(server.port) in result.summary()


def test_key_auth_without_password(server, known_hosts, client_key):
    client = loopback_resource(
        server.port, password=None, private_key_path=str(client_key[0]), known_hosts_path=str(known_hosts)
    )
    assert client.list("response") == []


def test_wrong_password_fails_at_once_without_leaking_it(server, known_hosts, caplog):
    client = loopback_resource(server.port, password="wrong-" + PASSWORD, known_hosts_path=str(known_hosts))
    with caplog.at_level(logging.DEBUG), pytest.raises(CampaignSftpError) as failure:
        client.list("response")
    assert failure.value.operation == "authenticate"
    assert "attempt" not in caplog.text  # an auth failure is never retried
    assert PASSWORD not in str(failure.value) and PASSWORD not in caplog.text
    assert PASSWORD not in repr(client)


def test_unknown_host_key_is_refused(server):
    client = loopback_resource(server.port)  # neither known_hosts nor fingerprint
    with pytest.raises(CampaignHostKeyError) as failure:
        client.list("response")
    # The error names the offered key so an operator can verify and pin it.
    assert server.host_key_fingerprint in str(failure.value)


def test_wrong_fingerprint_is_refused(server):
    wrong = "SHA256:" + "A" * 43
    with pytest.raises(CampaignHostKeyError, match="does not match"):
        loopback_resource(server.port, host_key_fingerprint=wrong).list("response")


def test_correct_fingerprint_is_accepted(server, root):
    (root / "response" / "20240517_links.csv").write_text("id\n")
    client = loopback_resource(server.port, host_key_fingerprint=server.host_key_fingerprint)
    assert [f.name for f in client.list("response")] == ["20240517_links.csv"]


def test_known_hosts_with_another_key_is_refused(server, tmp_path):
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().split()
    path = tmp_path / "stale_known_hosts"
    path.write_text(f"[127.0.0.1]:{server.port} {other[0]} {other[1]}\n")
    with pytest.raises(CampaignHostKeyError, match="known_hosts has"):
        loopback_resource(server.port, known_hosts_path=str(path)).list("response")


def test_malformed_fingerprint_is_a_config_error(server):
    with pytest.raises(CampaignConfigError, match="SHA256"):
        loopback_resource(server.port, host_key_fingerprint="MD5:aa:bb").list("response")


def test_accept_any_host_key_warns(server, caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        loopback_resource(server.port, accept_any_host_key=True).list("response")
    assert "NOT verified" in caplog.text and server.host_key_fingerprint in caplog.text


def test_connect_timeout_is_bounded_when_banner_never_comes():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel accepts the TCP connection; nobody ever sends a banner
        client = loopback_resource(
            silent.getsockname()[1], accept_any_host_key=True, connect_timeout=0.5, max_attempts=2
        )
        started = time.monotonic()
        with pytest.raises(CampaignSftpError, match="gave up after 2 attempts"):
            client.list("response")
        assert time.monotonic() - started < 3.0


def test_from_env_reads_variables_and_keeps_secrets_as_env_var_references(monkeypatch, tmp_path):
    monkeypatch.setenv("EPISERVER_SFTP_PASSWORD", "from-env")
    env = {
        "EPISERVER_SFTP_HOST": "sftp.example.net",
        "EPISERVER_SFTP_PORT": "2222",
        "EPISERVER_SFTP_USER": "acme",
        "EPISERVER_SFTP_PASSWORD": "from-env",
        "EPISERVER_DATA_DIR": str(tmp_path),
        "EPISERVER_SFTP_KNOWN_HOSTS": str(tmp_path / "acme_known_hosts"),
        "EPISERVER_SFTP_RESPONSE_DIR": "1000/response",
    }
    resource = CampaignSftpResource.from_env(env)
    assert "from-env" not in repr(resource)
    settings = resource.settings()
    assert (settings.host, settings.port, settings.username) == ("sftp.example.net", 2222, "acme")
    assert settings.password == "from-env"
    assert settings.known_hosts_path == str(tmp_path / "acme_known_hosts")
    assert resource.response_dir == "1000/response" and resource.upload_dir == "upload"


def test_resource_in_a_dagster_run_resolves_env_var_password(server, known_hosts, root, monkeypatch):
    monkeypatch.setenv("TEST_CAMPAIGN_SFTP_PASSWORD", PASSWORD)
    (root / "response" / "20240517_opens.csv").write_text("id\n")

    @dg.asset
    def response_files(sftp: CampaignSftpResource) -> list[str]:
        return [remote.name for remote in sftp.list(sftp.response_dir)]

    sftp = loopback_resource(
        server.port, password=dg.EnvVar("TEST_CAMPAIGN_SFTP_PASSWORD"), known_hosts_path=str(known_hosts)
    )
    result = dg.materialize([response_files], resources={"sftp": sftp})
    assert result.output_for_node("response_files") == ["20240517_opens.csv"]
