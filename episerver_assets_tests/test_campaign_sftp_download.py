"""The Campaign SFTP client listing and downloading: patterns, sizes, streaming hashes, resumes after
dropped connections, bounded attempts, one connection per session."""

from __future__ import annotations

import logging
import os
import re

import pytest

from episerver_assets.campaign.errors import CampaignSftpError
from episerver_assets.campaign.sftp import RemoteFile
from episerver_assets.campaign.sftp import session as session_module

from .sftp_loopback import LOGGER, MIB, loopback_resource, payload
from .sftp_loopback import client, known_hosts, root, server  # noqa: F401  (pytest fixtures)


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
    data = payload(300_000)
    (root / "response" / "20240517_mailings.csv").write_bytes(data)
    target = tmp_path / "out" / "mailings.csv"

    remote = client.download("response/20240517_mailings.csv", target)

    assert remote == RemoteFile("20240517_mailings.csv", len(data), remote.mtime)
    assert target.read_bytes() == data
    assert os.listdir(target.parent) == ["mailings.csv"]


def test_download_of_missing_file_fails_without_partial_file(client, tmp_path):
    with pytest.raises(CampaignSftpError, match="no such file"):
        client.download("response/20240517_gone.csv", tmp_path / "out" / "gone.csv")
    assert os.listdir(tmp_path / "out") == []


# Paramiko's prefetch thread, still queueing read requests when the server drops the connection,
# dies with EOFError; the download itself handles the drop. pytest reports that thread as a warning.
PREFETCH_THREAD_MAY_DIE = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


@PREFETCH_THREAD_MAY_DIE
def test_dropped_connection_mid_download_is_resumed(client, server, root, tmp_path, caplog):
    data = payload(20 * MIB)  # above the progress threshold, so progress lines are logged too
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
    data = payload(20 * MIB)
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
    (root / "response" / "20240517_clicks.csv").write_bytes(payload(2 * MIB))
    server.faults.drop_reads_after(0, times=1000)
    client = loopback_resource(server.port, known_hosts_path=str(known_hosts), max_attempts=3)
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
