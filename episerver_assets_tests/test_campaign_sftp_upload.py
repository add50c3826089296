"""The Campaign SFTP client uploading: a temporary name then a rename, the fallbacks when renaming
fails, and names and files refused before connecting."""

from __future__ import annotations

import fnmatch
import logging
import os

import paramiko
import pytest

from episerver_assets.campaign.sftp import temporary_name

from .sftp_loopback import LOGGER, loopback_resource, payload
from .sftp_loopback import client, known_hosts, root, server  # noqa: F401  (pytest fixtures)


def test_upload_uses_a_temporary_name_then_renames(client, root, tmp_path, monkeypatch):
    final = "20240517103000_subscribers.csv"
    local = tmp_path / final
    local.write_bytes(payload(200_000))
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
    client = loopback_resource(1, accept_any_host_key=True)
    name = "20240517103000_subscribers.csv"
    with pytest.raises(FileNotFoundError):
        client.upload(f"/nonexistent/{name}", "upload", name)
