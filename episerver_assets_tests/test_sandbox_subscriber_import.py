"""The closed-loop import of uploaded *_subscribers.csv files into the sandbox state."""

from __future__ import annotations

import io
import os
import time

import numpy as np
import paramiko
import pytest

from episerver_assets.sandbox import state as sandbox_state
from episerver_assets.sandbox.generator import Fate, populate, recipient
from episerver_assets.sandbox.generator.names import fates
from episerver_assets.sandbox.sftp_server import BackgroundSftpServer, closed_loop_directories
from episerver_assets.sandbox.subscriber_import import SubscriberImporter

SEED = 5
HEADER = '"Email";"broadmail_ID";"WAVE_ID";"Salutation";"First name";"Last name"'
NAME = "20240517103000_subscribers.csv"


def _line(*fields: str) -> str:
    return ";".join('"' + field.replace('"', '""') + '"' for field in fields)


def _fate_index(fate: Fate) -> int:
    return int(np.flatnonzero(fates(SEED, np.arange(400)) == fate)[0])


@pytest.fixture
def loop(tmp_path):
    """A populated one-client state, its closed-loop directories and an importer."""
    state = sandbox_state.SandboxState([sandbox_state.ClientAccount(1000, "user", "secret")])
    population = populate(state, SEED, "small")[1000]
    directories = closed_loop_directories(tmp_path / "sftp", [1000])[1000]
    importer = SubscriberImporter(state.client(1000), directories.upload)
    mailing, list_id = next(iter(population.source_mailings.items()))
    return state.client(1000), directories.upload, importer, mailing, list_id


def test_a_file_is_imported_only_under_its_final_name(loop):
    client, upload, importer, mailing, list_id = loop
    body = "\n".join([HEADER, _line("neu@example.com", str(mailing), "77", "Frau", "Zoë", "Øster")]) + "\n"
    (upload / f"{NAME}.part").write_text(body, encoding="utf-8")
    (upload / ".20240517103000_subscribers.csv").write_text(body, encoding="utf-8")
    assert importer.process_pending() == []
    assert "neu@example.com" not in client.lists[list_id].recipients
    os.replace(upload / f"{NAME}.part", upload / NAME)
    [result] = importer.process_pending()
    assert (result.status, result.rows, result.counts["added"]) == ("processed", 1, 1)
    stored = client.lists[list_id].recipients["neu@example.com"].attributes
    names = (stored["salutation"], stored["firstname"], stored["lastname"], stored["company"])
    assert names == ("Frau", "Zoë", "Øster", None)
    assert not (upload / NAME).exists() and (upload / "processed" / NAME).read_text(encoding="utf-8") == body
    log = (upload / "log" / f"{NAME}.log").read_text(encoding="utf-8")
    assert "status: processed\n" in log and "added: 1\n" in log and "rows: 1\n" in log
    assert importer.process_pending() == []


def test_outcomes_are_counted_and_optional_columns_matched(loop):
    client, upload, importer, mailing, list_id = loop
    existing = next(iter(client.lists[list_id].recipients))
    blocklisted = recipient(SEED, _fate_index(Fate.BLOCKLISTED))["email"]
    rows = [
        HEADER + ';"company";"Lieblingsfarbe"',
        _line(existing, str(mailing), "", "Herr", "Jürgen", "Müller", '"Schmidt; Söhne" GmbH', "blau"),
        _line("not-an-address", str(mailing), "", "", "", "", "", ""),
        _line(blocklisted, str(mailing), "", "", "", "", "", ""),
        _line("zweite@example.com", str(mailing), "12345678901", "", "", "Weiß", "", "grün"),
    ]
    (upload / NAME).write_text("\n".join(rows) + "\n", encoding="utf-8")
    [result] = importer.process_pending()
    assert result.counts == {
        "added": 1, "updated": 1, "invalid_address": 1, "unsubscribed": 0, "blocklisted": 1, "too_many_bounces": 0,
    }
    assert result.ignored_columns == ("Lieblingsfarbe",)
    updated = client.lists[list_id].recipients[existing].attributes
    assert (updated["firstname"], updated["company"]) == ("Jürgen", '"Schmidt; Söhne" GmbH')
    log = (upload / "log" / f"{NAME}.log").read_text(encoding="utf-8")
    assert "updated: 1\n" in log and "blocklisted: 1\n" in log and "ignored_columns: Lieblingsfarbe\n" in log


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (["HEADER", '"a@example.com";"MAILING";"";"";""'], "line 2: expected 6 fields, found 5"),
        (["HEADER", '"a@example.com";"MAILING";"";"";"";""', '"b@example.com";"1";"";"";"";""'],
         "line 3: broadmail_ID 1 is not a known source mailing"),
        (["HEADER", '"a@example.com";"12x";"";"";"";""'], "line 2: broadmail_ID '12x' is not a number"),
        (['"Email";"WAVE_ID"', '"a@example.com";"1"'], "line 1: header must start with Email;broadmail_ID;"),
        (["HEADER", '"a@example.com";"MAILING";"";"Herr";"Jo"x;""'], "line 2: broken quoting"),
    ],
)
def test_a_malformed_file_fails_whole_with_an_error_file(loop, lines, reason):
    client, upload, importer, mailing, list_id = loop
    before = set(client.lists[list_id].recipients)
    text = "\n".join(line.replace("HEADER", HEADER).replace("MAILING", str(mailing)) for line in lines) + "\n"
    (upload / NAME).write_text(text, encoding="utf-8")
    [result] = importer.process_pending()
    assert result.status == "failed" and result.error.startswith(reason)
    assert set(client.lists[list_id].recipients) == before
    assert (upload / "error" / NAME).read_text(encoding="utf-8") == text
    assert (upload / "error" / f"{NAME}.error").read_text(encoding="utf-8").startswith(f"{NAME}: {reason}")
    log = (upload / "log" / f"{NAME}.log").read_text(encoding="utf-8")
    assert "status: failed\n" in log and f"error: {reason}" in log
    assert not (upload / NAME).exists() and not (upload / "processed").exists()


def test_invalid_utf8_names_its_line(loop):
    _, upload, importer, mailing, _ = loop
    latin1_row = _line("a@example.com", str(mailing), "", "", "M\xfcller", "").encode("latin-1")
    (upload / NAME).write_bytes(f"{HEADER}\n".encode() + latin1_row + b"\n")
    [result] = importer.process_pending()
    assert result.error == "line 2: not valid UTF-8"


def test_logs_older_than_30_days_are_removed(loop):
    _, upload, importer, _, _ = loop
    (upload / "log").mkdir()
    old, recent = upload / "log" / "20240101000000_subscribers.csv.log", upload / "log" / "recent.log"
    old.write_text("status: processed\n")
    recent.write_text("status: processed\n")
    month_ago = time.time() - 31 * 86_400
    os.utime(old, (month_ago, month_ago))
    importer.process_pending()
    assert not old.exists() and recent.exists()


def test_an_explicit_source_mailing_map_replaces_the_generated_one(loop):
    client, upload, _, generated_mailing, list_id = loop
    importer = SubscriberImporter(client, upload, source_mailings={12345678901: list_id})
    (upload / NAME).write_text(f"{HEADER}\n{_line('map@example.com', '12345678901', '', '', '', '')}\n")
    [result] = importer.process_pending()
    assert result.counts["added"] == 1 and "map@example.com" in client.lists[list_id].recipients
    (upload / NAME).write_text(f"{HEADER}\n{_line('x@example.com', str(generated_mailing), '', '', '', '')}\n")
    [result] = importer.process_pending()
    assert result.error == f"line 2: broadmail_ID {generated_mailing} is not a known source mailing"


def test_uploaded_over_sftp_and_processed_by_the_interval_loop(tmp_path):
    state = sandbox_state.SandboxState(
        [sandbox_state.ClientAccount(1000, "u", "p"), sandbox_state.ClientAccount(2000, "u", "p")]
    )
    populations = populate(state, SEED, "small")
    root = tmp_path / "data" / "sftp"
    directories = closed_loop_directories(root, [1000, 2000])
    importers = [
        SubscriberImporter(state.client(client_id), d.upload, interval_seconds=0.05)
        for client_id, d in directories.items()
    ]
    mailing, list_id = next(iter(populations[2000].source_mailings.items()))
    body = f"{HEADER}\n{_line('sftp@example.com', str(mailing), '', '', '', '')}\n".encode()
    with BackgroundSftpServer(root, users={"loop": "pw"}) as server:
        transport = paramiko.Transport(("127.0.0.1", server.port))
        try:
            transport.connect(username="loop", password="pw")
            sftp = paramiko.SFTPClient.from_transport(transport)
            sftp.putfo(io.BytesIO(body), f"2000/upload/{NAME}.tmp")
            for importer in importers:
                importer.start()
            try:
                assert all(importer.wait_for_passes(2, timeout=10) for importer in importers)
                assert not (directories[2000].upload / "processed").exists()
                sftp.posix_rename(f"2000/upload/{NAME}.tmp", f"2000/upload/{NAME}")
                # A pass in flight may have listed the directory before the rename; the next one has not.
                importer = importers[1]
                assert importer.wait_for_passes(importer.completed_passes + 2, timeout=10)
            finally:
                for importer in importers:
                    importer.stop()
            assert "sftp@example.com" in state.client(2000).lists[list_id].recipients
            assert all("sftp@example.com" not in lst.recipients for lst in state.client(1000).lists.values())
            assert sorted(sftp.listdir("2000/upload/processed")) == [NAME]
            assert sorted(sftp.listdir("2000/upload/log")) == [f"{NAME}.log"]
            assert sftp.listdir("1000/upload") == []
        finally:
            transport.close()
