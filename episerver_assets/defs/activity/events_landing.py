"""Reading the webhook receiver's landing store by request id, never by scanning what was consumed.

Ids only grow. With one writer (SQLite admits one at a time; a receiver commits from a single
thread) they also become visible in id order. Several receiver processes sharing one PostgreSQL store
(scaling out, or a rolling restart) draw ids from one sequence but commit in any order, so id 104
may become visible after 105; and a rolled-back commit leaves a gap for good. So a reader stops
before a gap in the ids until the request after it is LANDING_GAP_GRACE old: a commit still in
flight lands within that time, and a gap older than that is a rollback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa

from ...receiver.landing_store import landed_requests, open_landing_store
from ...settings import load_settings

MAX_REQUESTS_PER_RUN = 20_000
MAX_EVENTS_PER_RUN = 200_000
READ_CHUNK_REQUESTS = 2_000
LANDING_GAP_GRACE = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class LandedRange:
    """Landed request ids (after, through]: what one run consumes."""

    after: int
    through: int
    requests: int
    events: int
    last_received_at: dt.datetime


@contextmanager
def landing_store(url: str | None = None) -> Iterator[sa.Engine]:
    """The store named by EPISERVER_RECEIVER_STORE_URL (or `url`), disposed afterwards."""
    engine = open_landing_store(url or load_settings()["EPISERVER_RECEIVER_STORE_URL"])
    try:
        yield engine
    finally:
        engine.dispose()


def next_range(engine: sa.Engine, after: int, now: dt.datetime | None = None) -> LandedRange | None:
    """The requests after `after` for one run: at most MAX_REQUESTS_PER_RUN, stopping once
    MAX_EVENTS_PER_RUN events are in (always at least one request), and before a gap in the ids
    younger than LANDING_GAP_GRACE (None when the first id after `after` is such a gap)."""
    max_requests, max_events = MAX_REQUESTS_PER_RUN, MAX_EVENTS_PER_RUN
    t = landed_requests
    query = sa.select(t.c.id, t.c.event_count, t.c.received_at).where(t.c.id > after).order_by(t.c.id)
    with engine.connect() as connection:
        rows = connection.execute(query.limit(max_requests)).all()
    rows = _before_young_gap(rows, after, now or dt.datetime.now(dt.timezone.utc))
    if not rows:
        return None
    events = 0
    for taken, row in enumerate(rows, start=1):
        events += row.event_count
        if events >= max_events:
            break
    return LandedRange(after, rows[taken - 1].id, taken, events, rows[taken - 1].received_at)


def _before_young_gap(rows: list, after: int, now: dt.datetime) -> list:
    expected = after + 1
    for index, row in enumerate(rows):
        received_at = row.received_at if row.received_at.tzinfo else row.received_at.replace(tzinfo=dt.timezone.utc)
        if row.id != expected and now - received_at < LANDING_GAP_GRACE:
            return rows[:index]
        expected = row.id + 1
    return rows


def last_landed_id(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.coalesce(sa.func.max(landed_requests.c.id), 0))).scalar_one()


def landed_bodies(engine: sa.Engine, after: int, through: int) -> Iterator[tuple[int, dt.datetime, bytes]]:
    """(id, received_at, body) of the requests in (after, through], in id order, a chunk per query."""
    t = landed_requests
    while after < through:
        query = (
            sa.select(t.c.id, t.c.received_at, t.c.body)
            .where(t.c.id > after, t.c.id <= through)
            .order_by(t.c.id)
            .limit(READ_CHUNK_REQUESTS)
        )
        with engine.connect() as connection:
            rows = connection.execute(query).all()
        if not rows:
            return
        for row in rows:
            yield row.id, row.received_at, bytes(row.body)
        after = rows[-1].id
