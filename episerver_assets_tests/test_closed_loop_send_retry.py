"""Closed-loop send: unique names within one second, and a retried send that never uploads twice."""

from __future__ import annotations

import datetime as dt

from episerver_assets.campaign.sftp import SftpSession
from episerver_assets.defs.closed_loop_send import assets, delivery, file_names

from .closed_loop_send_runs import (  # noqa: F401  (fixtures)
    failure_of, importer, ledger_rows, metadata_of, send, upload_dir,
)

ROWS = [{"Email": "wave@example.com", "First name": "Ada"}]
SECOND = dt.datetime(2026, 11, 29, 21, 30, 5, 250_000, tzinfo=dt.timezone.utc)


def _count_uploads(monkeypatch) -> list[str]:
    uploads: list[str] = []
    real_upload = SftpSession.upload

    def counting_upload(session, local_path, remote_dir, final_name):
        uploads.append(final_name)
        return real_upload(session, local_path, remote_dir, final_name)

    monkeypatch.setattr(SftpSession, "upload", counting_upload)
    return uploads


def test_sends_in_the_same_second_get_distinct_names(importer, upload_dir, send, warehouse_url, monkeypatch):
    monkeypatch.setattr(file_names, "utc_now", lambda: SECOND)
    (upload_dir / "processed").mkdir(exist_ok=True)
    # Another system's upload already used the third second.
    (upload_dir / "processed" / "20261129213007_subscribers.csv").write_text("foreign\n")

    names = [metadata_of(send(f"same-second-{n}", ROWS, warehouse_url))["file_name"] for n in range(3)]

    assert names == ["20261129213005_subscribers.csv", "20261129213006_subscribers.csv",
                     "20261129213008_subscribers.csv"]
    assert (upload_dir / "processed" / "20261129213007_subscribers.csv").read_text() == "foreign\n"
    assert [r["file_name"] for r in ledger_rows(warehouse_url)] == names


def test_a_retry_after_a_crash_between_upload_and_wait_only_waits(
    importer, upload_dir, send, warehouse_url, monkeypatch
):
    uploads = _count_uploads(monkeypatch)

    def crash(*args, **kwargs):
        raise RuntimeError("process killed while waiting")

    with monkeypatch.context() as crashing:
        crashing.setattr(assets.server_files, "wait_for_outcome", crash)
        assert not send("crash-1", ROWS, warehouse_url).success
    [row] = ledger_rows(warehouse_url)
    assert (row["status"], uploads) == ("uploaded", [row["file_name"]])

    retried = send("crash-1", ROWS, warehouse_url)

    assert retried.success and uploads == [row["file_name"]]
    metadata = metadata_of(retried)
    assert (metadata["file_name"], metadata["import_status"], metadata["import_added"]) == (
        row["file_name"], "processed", 1)
    assert [r["status"] for r in ledger_rows(warehouse_url)] == ["processed"]
    assert metadata_of(send("crash-1", ROWS, warehouse_url))["import_added"] == 1  # reported, not re-sent
    assert uploads == [row["file_name"]] and len(list((upload_dir / "log").iterdir())) == 1


def test_a_retry_after_a_crash_between_rename_and_ledger_finds_the_file(
    importer, upload_dir, send, duckdb_url, monkeypatch
):
    uploads = _count_uploads(monkeypatch)

    def crash(*args, **kwargs):
        raise RuntimeError("process killed after the rename")

    with monkeypatch.context() as crashing:
        crashing.setattr(delivery, "mark_uploaded", crash)
        assert not send("crash-2", ROWS).success
    [row] = ledger_rows(duckdb_url)
    assert row["status"] == "reserved" and len(uploads) == 1

    retried = send("crash-2", ROWS)

    assert retried.success and len(uploads) == 1
    assert metadata_of(retried)["import_status"] == "processed"


def test_a_failed_send_is_not_uploaded_again(importer, upload_dir, send, duckdb_url, monkeypatch):
    uploads = _count_uploads(monkeypatch)
    first = send("failed-1", ROWS, broadmail_id=44001999999)
    again = send("failed-1", ROWS, broadmail_id=44001999999)

    assert not first.success and not again.success and len(uploads) == 1
    assert "not a known source mailing" in failure_of(again)


def test_no_outcome_within_the_timeout_fails_and_a_rerun_waits_again(upload_dir, send, duckdb_url, monkeypatch):
    uploads = _count_uploads(monkeypatch)
    result = send("slow-1", ROWS, outcome_timeout_seconds=0.3)

    assert not result.success
    assert "no log or error file" in failure_of(result) and "never uploads twice" in failure_of(result)
    assert [r["status"] for r in ledger_rows(duckdb_url)] == ["uploaded"] and len(uploads) == 1


def test_the_ledger_key_settles_two_sends_that_both_saw_the_second_free(
    importer, send, warehouse_url, monkeypatch
):
    # As if both sends looked before either reserved: only the unique file name can keep them apart.
    monkeypatch.setattr(file_names, "utc_now", lambda: SECOND)
    monkeypatch.setattr(file_names, "file_name_taken", lambda *args: False)
    monkeypatch.setattr(file_names, "name_in_use", lambda *args: False)

    names = [metadata_of(send(f"race-{n}", ROWS, warehouse_url))["file_name"] for n in range(2)]

    assert names == ["20261129213005_subscribers.csv", "20261129213006_subscribers.csv"]


def test_an_attempt_started_while_another_uploads_the_send_fails_uploading_nothing(
    importer, upload_dir, send, warehouse_url, monkeypatch
):
    """Both would find the send reserved and its file not yet on the server: without the send's run lock the
    second uploads it again."""
    uploads, overlapping = [], []
    real_upload = SftpSession.upload

    def upload_while_a_second_attempt_starts(session, local_path, remote_dir, final_name):
        uploads.append(final_name)
        if not overlapping:
            overlapping.append(send("overlap-1", ROWS, warehouse_url))
        return real_upload(session, local_path, remote_dir, final_name)

    monkeypatch.setattr(SftpSession, "upload", upload_while_a_second_attempt_starts)
    first = send("overlap-1", ROWS, warehouse_url)

    [second] = overlapping
    assert first.success and metadata_of(first)["import_status"] == "processed"
    [failure] = [event for event in second.all_events if event.is_step_failure]
    error, messages = failure.step_failure_data.error, []
    while error is not None:
        messages.append(error.message)
        error = error.cause
    assert any("closed-loop send overlap-1 is being run already" in message for message in messages)
    assert len(uploads) == 1
