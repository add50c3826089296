"""The Campaign SFTP client (paramiko) against the sandbox's real SSH server on loopback."""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import os
import random
import re
import socket
import time
from pathlib import Path

import asyncssh
import dagster as dg
import paramiko
import pytest

from episerver_assets.campaign.errors import CampaignConfigError, CampaignHostKeyError, CampaignSftpError
from episerver_assets.campaign.sftp import CampaignSftpResource, RemoteFile, temporary_name
from episerver_assets.campaign.sftp import session as session_module
from episerver_assets.sandbox.sftp_server import BackgroundSftpServer

USER, PASSWORD = "loop", "pa55-not-logged"
LOGGER = "episerver_assets.campaign.sftp"
MIB = 1024 * 1024


def _payload(size: int) -> bytes:
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


def _resource(port: int, **overrides) -> CampaignSftpResource:
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
    return _resource(server.port, known_hosts_path=str(known_hosts))


# --- authentication and host keys -------------------------------------------------------------


def test_check_with_password_auth_and_known_hosts(client, server, root):
    (root / "response" / "20240517_opens.csv").write_text("id\n1\n")
    result = client.check()
    assert result.host_key_fingerprint == server.host_key_fingerprint
    assert result.response_file_count == 1
    assert str(server.port) in result.summary()


def test_key_auth_without_password(server, known_hosts, client_key):
    client = _resource(
        server.port, password=None, private_key_path=str(client_key[0]), known_hosts_path=str(known_hosts)
    )
    assert client.list("response") == []


def test_wrong_password_fails_at_once_without_leaking_it(server, known_hosts, caplog):
    client = _resource(server.port, password="wrong-" + PASSWORD, known_hosts_path=str(known_hosts))
    with caplog.at_level(logging.DEBUG), pytest.raises(CampaignSftpError) as failure:
        client.list("response")
    assert failure.value.operation == "authenticate"
    assert "attempt" not in caplog.text  # an auth failure is never retried
    assert PASSWORD not in str(failure.value) and PASSWORD not in caplog.text
    assert PASSWORD not in repr(client)


def test_unknown_host_key_is_refused(server):
    client = _resource(server.port)  # neither known_hosts nor fingerprint
    with pytest.raises(CampaignHostKeyError) as failure:
        client.list("response")
    # The error names the offered key so an operator can verify and pin it.
    assert server.host_key_fingerprint in str(failure.value)


def test_wrong_fingerprint_is_refused(server):
    wrong = "SHA256:" + "A" * 43
    with pytest.raises(CampaignHostKeyError, match="does not match"):
        _resource(server.port, host_key_fingerprint=wrong).list("response")


def test_correct_fingerprint_is_accepted(server, root):
    (root / "response" / "20240517_links.csv").write_text("id\n")
    client = _resource(server.port, host_key_fingerprint=server.host_key_fingerprint)
    assert [f.name for f in client.list("response")] == ["20240517_links.csv"]


def test_known_hosts_with_another_key_is_refused(server, tmp_path):
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().split()
    path = tmp_path / "stale_known_hosts"
    path.write_text(f"[127.0.0.1]:{server.port} {other[0]} {other[1]}\n")
    with pytest.raises(CampaignHostKeyError, match="known_hosts has"):
        _resource(server.port, known_hosts_path=str(path)).list("response")


def test_malformed_fingerprint_is_a_config_error(server):
    with pytest.raises(CampaignConfigError, match="SHA256"):
        _resource(server.port, host_key_fingerprint="MD5:aa:bb").list("response")


def test_accept_any_host_key_warns(server, caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        _resource(server.port, accept_any_host_key=True).list("response")
    assert "NOT verified" in caplog.text and server.host_key_fingerprint in caplog.text


def test_connect_timeout_is_bounded_when_banner_never_comes():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel accepts the TCP connection; nobody ever sends a banner
        client = _resource(
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
        "EPISERVER_SFTP_RESPONSE_DIR": "1000/response",
    }
    resource = CampaignSftpResource.from_env(env)
    assert "from-env" not in repr(resource)
    settings = resource.settings()
    assert (settings.host, settings.port, settings.username) == ("sftp.example.net", 2222, "acme")
    assert settings.password == "from-env"
    assert settings.known_hosts_path == str(tmp_path / "sandbox" / "known_hosts")
    assert resource.response_dir == "1000/response" and resource.upload_dir == "upload"


def test_resource_in_a_dagster_run_resolves_env_var_password(server, known_hosts, root, monkeypatch):
    monkeypatch.setenv("TEST_CAMPAIGN_SFTP_PASSWORD", PASSWORD)
    (root / "response" / "20240517_opens.csv").write_text("id\n")

    @dg.asset
    def response_files(sftp: CampaignSftpResource) -> list[str]:
        return [remote.name for remote in sftp.list(sftp.response_dir)]

    sftp = _resource(
        server.port, password=dg.EnvVar("TEST_CAMPAIGN_SFTP_PASSWORD"), known_hosts_path=str(known_hosts)
    )
    result = dg.materialize([response_files], resources={"sftp": sftp})
    assert result.output_for_node("response_files") == ["20240517_opens.csv"]


# --- listing ----------------------------------------------------------------------------------


def test_list_by_pattern_with_size_and_mtime(client, root):
    response = root / "response"
    files = {"20240517_opens.csv": 10, "20240517_clicks.csv": 3, "20240518_opens.csv": 0, "notes.txt": 5}
    for name, size in files.items():
        (response / name).write_bytes(b"x" * size)
        os.utime(response / name, (1_715_900_000, 1_715_900_000))
    (response / "archive_opens.csv").mkdir()  # directories never match

    listed = client.list("response", pattern="*_opens.csv")

    assert [(f.name, f.size) for f in listed] == [("20240517_opens.csv", 10), ("20240518_opens.csv", 0)]
    assert all(f.mtime.timestamp() == 1_715_900_000 for f in listed)
    assert {f.name for f in client.list("response")} == {n for n in files if n.endswith(".csv")}


def test_list_of_missing_directory_names_it(client):
    with pytest.raises(CampaignSftpError, match="no such file") as failure:
        client.list("nowhere")
    assert failure.value.path == "nowhere"


# --- downloads --------------------------------------------------------------------------------


def test_download_checks_size_and_leaves_no_temporary_file(client, root, tmp_path):
    data = _payload(300_000)
    (root / "response" / "20240517_mailings.csv").write_bytes(data)
    target = tmp_path / "out" / "mailings.csv"

    remote = client.download("response/20240517_mailings.csv", target)

    assert remote == RemoteFile("20240517_mailings.csv", len(data), remote.mtime)
    assert target.read_bytes() == data
    assert os.listdir(target.parent) == ["mailings.csv"]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # paramiko's prefetch thread
def test_sha256_streams_the_remote_file_and_survives_a_drop(client, server, root):
    data = _payload(3 * MIB)
    (root / "response" / "20240517_clicks.csv").write_bytes(data)
    server.faults.drop_reads_after(MIB, times=1)

    with client.open_session() as session:
        opened, checksum = session.sha256("response/20240517_clicks.csv")

    assert checksum == hashlib.sha256(data).hexdigest()
    assert (opened.name, opened.size) == ("20240517_clicks.csv", len(data))


def test_download_of_missing_file_fails_without_partial_file(client, tmp_path):
    with pytest.raises(CampaignSftpError, match="no such file"):
        client.download("response/20240517_gone.csv", tmp_path / "out" / "gone.csv")
    assert os.listdir(tmp_path / "out") == []


# Paramiko's prefetch thread, still queueing read requests when the server drops the connection,
# dies with EOFError; the download itself handles the drop. pytest reports that thread as a warning.
PREFETCH_THREAD_MAY_DIE = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


@PREFETCH_THREAD_MAY_DIE
def test_dropped_connection_mid_download_is_resumed(client, server, root, tmp_path, caplog):
    data = _payload(20 * MIB)  # above the progress threshold, so progress lines are logged too
    (root / "response" / "20240517_opens.csv").write_bytes(data)
    server.faults.drop_reads_after(6 * MIB, times=1)
    target = tmp_path / "opens.csv"

    with caplog.at_level(logging.INFO, logger=LOGGER):
        client.download("response/20240517_opens.csv", target)

    assert target.read_bytes() == data
    retries = [r for r in caplog.records if r.levelno == logging.WARNING and "attempt" in r.getMessage()]
    assert len(retries) == 1
    retry_with_reason = r"download response/20240517_opens.csv .* attempt 1 of 5 failed \(.+\)"
    assert re.search(retry_with_reason, retries[0].getMessage())
    resumed = [r.getMessage() for r in caplog.records if "resuming at byte" in r.getMessage()]
    assert len(resumed) == 1
    offset = int(resumed[0].split("resuming at byte ")[1].split()[0])
    assert 0 < offset <= 6 * MIB  # continued where the dropped connection stopped, not from 0
    assert any("%" in r.getMessage() and "MiB" in r.getMessage() for r in caplog.records)


@PREFETCH_THREAD_MAY_DIE
def test_each_of_several_drops_resumes_further_on(client, server, root, tmp_path, caplog):
    data = _payload(20 * MIB)
    (root / "response" / "20240517_opens.csv").write_bytes(data)
    server.faults.drop_reads_after(6 * MIB, times=2)
    target = tmp_path / "opens.csv"

    with caplog.at_level(logging.INFO, logger=LOGGER):
        client.download("response/20240517_opens.csv", target)

    assert target.read_bytes() == data
    resumed = [r.getMessage() for r in caplog.records if "resuming at byte" in r.getMessage()]
    offsets = [int(m.split("resuming at byte ")[1].split()[0]) for m in resumed]
    assert len(offsets) == 2 and 0 < offsets[0] < offsets[1] <= 12 * MIB


@PREFETCH_THREAD_MAY_DIE
def test_download_gives_up_after_bounded_attempts(server, known_hosts, root, tmp_path):
    (root / "response" / "20240517_clicks.csv").write_bytes(_payload(2 * MIB))
    server.faults.drop_reads_after(0, times=1000)
    client = _resource(server.port, known_hosts_path=str(known_hosts), max_attempts=3)
    with pytest.raises(CampaignSftpError, match="gave up after 3 attempts"):
        client.download("response/20240517_clicks.csv", tmp_path / "out" / "clicks.csv")
    assert os.listdir(tmp_path / "out") == []  # neither the target nor a temporary file


def test_session_reuses_one_connection_for_eight_files(client, root, tmp_path, monkeypatch):
    tables = ["mailings", "mailingrecipients", "links", "clicks", "opens", "automated_opens",
              "unsubscribes", "responses"]  # fmt: skip
    for table in tables:
        (root / "response" / f"20240517_{table}.csv").write_text(f"{table}\n")
    opened = []
    real_open = session_module.open_connection
    monkeypatch.setattr(session_module, "open_connection", lambda s: opened.append(s) or real_open(s))

    with client.open_session() as session:
        for remote in session.list("response"):
            session.download(f"response/{remote.name}", tmp_path / remote.name)

    assert len(opened) == 1
    downloaded = sorted(p.name for p in tmp_path.glob("20240517_*.csv"))
    assert downloaded == sorted(f"20240517_{t}.csv" for t in tables)


# --- uploads ----------------------------------------------------------------------------------


def test_upload_uses_a_temporary_name_then_renames(client, root, tmp_path, monkeypatch):
    final = "20240517103000_subscribers.csv"
    local = tmp_path / final
    local.write_bytes(_payload(200_000))
    seen_before_rename: list[dict[str, int]] = []
    real_rename = paramiko.SFTPClient.posix_rename

    def spying_rename(sftp, old, new):
        seen_before_rename.append({p.name: p.stat().st_size for p in (root / "upload").iterdir()})
        return real_rename(sftp, old, new)

    monkeypatch.setattr(paramiko.SFTPClient, "posix_rename", spying_rename)

    remote = client.upload(local, "upload", final)

    assert seen_before_rename == [{temporary_name(final): 200_000}]
    assert not fnmatch.fnmatch(temporary_name(final), "*_subscribers.csv")
    assert os.listdir(root / "upload") == [final]
    assert (root / "upload" / final).read_bytes() == local.read_bytes()
    assert (remote.name, remote.size) == (final, 200_000)


def test_upload_falls_back_to_remove_and_rename_without_posix_rename(client, root, tmp_path, monkeypatch):
    final = "20240517103000_subscribers.csv"
    (root / "upload" / final).write_text("stale\n")
    local = tmp_path / final
    local.write_text('"Email"\n"a@example.com"\n')

    def unsupported(sftp, old, new):
        raise OSError("Operation unsupported")

    monkeypatch.setattr(paramiko.SFTPClient, "posix_rename", unsupported)
    client.upload(local, "upload", final)
    assert os.listdir(root / "upload") == [final]
    assert (root / "upload" / final).read_text() == local.read_text()


def test_connection_lost_during_rename_does_not_upload_again(client, root, tmp_path, monkeypatch, caplog):
    final = "20240517103000_subscribers.csv"
    local = tmp_path / final
    local.write_text('"Email"\n"a@example.com"\n')
    real_rename = paramiko.SFTPClient.posix_rename
    writes = []
    real_open = paramiko.SFTPClient.open
    monkeypatch.setattr(
        paramiko.SFTPClient, "open", lambda s, p, mode="r", *a: writes.append(p) or real_open(s, p, mode, *a)
    )

    def rename_then_drop(sftp, old, new):
        real_rename(sftp, old, new)  # the server renames, but the reply never arrives
        sftp.get_channel().get_transport().close()
        raise EOFError("connection dropped")

    monkeypatch.setattr(paramiko.SFTPClient, "posix_rename", rename_then_drop)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        client.upload(local, "upload", final)
    assert writes == [f"upload/{temporary_name(final)}"]
    assert os.listdir(root / "upload") == [final]
    assert "rename completed" in caplog.text


def test_upload_rejects_hidden_or_nested_names(client, tmp_path):
    local = tmp_path / "x.csv"
    local.write_text("x")
    for bad in (".hidden.csv", "a/b.csv", ""):
        with pytest.raises(ValueError):
            client.upload(local, "upload", bad)


def test_upload_of_missing_local_file_fails_before_connecting():
    # Port 1 refuses connections: reaching the network would end in a retry error instead.
    client = _resource(1, accept_any_host_key=True)
    name = "20240517103000_subscribers.csv"
    with pytest.raises(FileNotFoundError):
        client.upload(f"/nonexistent/{name}", "upload", name)


# --- throughput -------------------------------------------------------------------------------
