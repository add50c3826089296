"""The landing store and its grouped commits, on SQLite (WAL) and PostgreSQL from the same code."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from episerver_assets.receiver.group_commit import GroupCommitWriter
from episerver_assets.receiver.landing_store import landed_requests, open_landing_store

from .receiver_fixtures import stored_rows


@pytest.fixture
def sqlite_store_url(tmp_path):
    return f"sqlite:///{tmp_path / 'receiver' / 'landing.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request):
    return request.getfixturevalue("sqlite_store_url" if request.param == "sqlite" else "postgres_url")


def _row(n: int) -> dict:
    return {"received_at": datetime.now(timezone.utc), "event_count": 1, "body": b'{"n": %d}' % n,
            "content_type": "application/json", "user_agent": None, "request_id": f"r{n}"}


def test_queued_requests_share_one_transaction_and_all_land(store_url):
    engine = open_landing_store(store_url)
    commits = []
    sa.event.listen(engine, "commit", lambda _connection: commits.append(1))
    writer = GroupCommitWriter(engine)
    futures = [writer.submit(_row(n)) for n in range(200)]  # queued before the writer runs
    writer.start()
    for future in futures:
        future.result(timeout=10)
    writer.stop()
    engine.dispose()
    assert len(commits) == 1
    assert [row["body"] for row in stored_rows(store_url)] == [b'{"n": %d}' % n for n in range(200)]


def test_every_column_reads_back_through_sqlalchemy_as_written(store_url):
    written = {**_row(7), "user_agent": "Campaign-Webhook/1.0", "event_count": 3}
    engine = open_landing_store(store_url)
    writer = GroupCommitWriter(engine)
    writer.start()
    writer.submit(written).result(timeout=10)
    writer.stop()
    engine.dispose()
    (stored,) = stored_rows(store_url)
    received_at = stored.pop("received_at")
    assert received_at.replace(tzinfo=received_at.tzinfo or timezone.utc) == written["received_at"]
    assert stored == {**{k: v for k, v in written.items() if k != "received_at"}, "id": stored["id"]}


def test_a_failed_commit_fails_every_waiter_and_the_writer_lives_on(store_url):
    engine = open_landing_store(store_url)
    writer = GroupCommitWriter(engine)
    writer.start()
    bad = writer.submit({**_row(0), "body": None})  # NOT NULL: the whole group fails
    with pytest.raises(sa.exc.IntegrityError):
        bad.result(timeout=10)
    writer.submit(_row(1)).result(timeout=10)
    writer.stop()
    engine.dispose()
    assert [row["body"] for row in stored_rows(store_url)] == [b'{"n": 1}']


def test_sqlite_store_is_wal_with_full_sync(sqlite_store_url):
    engine = open_landing_store(sqlite_store_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    engine.dispose()


def test_writes_commit_while_a_reader_holds_a_read_transaction(sqlite_store_url, tmp_path):
    engine = open_landing_store(sqlite_store_url)
    writer = GroupCommitWriter(engine)
    writer.start()
    writer.submit(_row(0)).result(timeout=10)
    reader = sqlite3.connect(tmp_path / "receiver" / "landing.sqlite3", isolation_level=None)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM landed_requests").fetchone() == (1,)
        for n in range(1, 51):  # each commit would wait on the reader's lock without WAL
            writer.submit(_row(n)).result(timeout=5)
        assert reader.execute("SELECT count(*) FROM landed_requests").fetchone() == (1,)  # its snapshot
        reader.execute("COMMIT")
        assert reader.execute("SELECT count(*) FROM landed_requests").fetchone() == (51,)
    finally:
        reader.close()
        writer.stop()
        engine.dispose()


def test_store_url_must_be_sqlite_or_postgresql():
    with pytest.raises(ValueError, match="sqlite:/// or postgresql://"):
        open_landing_store("mysql://u@h/db")


def test_row_ids_grow_for_a_cursor(store_url):
    engine = open_landing_store(store_url)
    writer = GroupCommitWriter(engine)
    writer.start()
    for n in range(3):
        writer.submit(_row(n)).result(timeout=10)
    writer.stop()
    with engine.connect() as connection:
        ids = connection.execute(sa.select(landed_requests.c.id).order_by(landed_requests.c.id)).scalars().all()
    engine.dispose()
    assert len(ids) == 3 and ids == sorted(set(ids))
