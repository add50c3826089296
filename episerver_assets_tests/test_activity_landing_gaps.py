"""The activity reader never steps over a landed id that may still commit (several receivers on one store)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from episerver_assets.defs.activity.events_landing import LANDING_GAP_GRACE, next_range
from episerver_assets.receiver.landing_store import landed_requests, open_landing_store

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'landing.sqlite3'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    engine = open_landing_store(url)
    yield engine
    engine.dispose()


def _land(store: sa.Engine, rows: dict[int, dt.datetime]) -> None:
    with store.begin() as connection:
        connection.execute(landed_requests.insert(), [
            {"id": request_id, "received_at": received_at, "event_count": 1, "body": b"{}"}
            for request_id, received_at in rows.items()
        ])


def test_a_young_gap_stops_the_range_before_it(store):
    young = NOW - LANDING_GAP_GRACE / 2
    _land(store, {1: young, 2: young, 4: young, 5: young})

    landed = next_range(store, 0, now=NOW)

    assert (landed.after, landed.through, landed.requests) == (0, 2, 2)
    assert next_range(store, 2, now=NOW) is None


def test_the_missing_id_committing_late_is_read_by_the_next_range(store):
    young = NOW - LANDING_GAP_GRACE / 2
    _land(store, {1: young, 2: young, 4: young})
    assert next_range(store, 0, now=NOW).through == 2

    _land(store, {3: young})

    assert next_range(store, 2, now=NOW).through == 4


def test_a_gap_older_than_the_grace_is_a_rollback_and_is_passed(store):
    old = NOW - LANDING_GAP_GRACE * 2
    _land(store, {1: old, 3: old, 4: NOW})

    landed = next_range(store, 0, now=NOW)

    assert (landed.through, landed.requests) == (4, 3)
