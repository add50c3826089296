"""Two processes adding the same landed requests at once (a sensor run beside its retry or a backfill)
store every event exactly once, on both engines."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from episerver_assets.defs.activity.activity_tables import episerver_activity
from episerver_assets.defs.activity.events_batch import DayWindow
from episerver_assets.defs.activity.events_run import consume
from episerver_assets.receiver.landing_store import landed_requests, open_landing_store
from episerver_assets.warehouse import WarehouseResource

from .process_race import race

DAYS = [dt.date(2026, 2, 1) + dt.timedelta(days=offset) for offset in range(3)]
WINDOW = DayWindow(dt.date(2026, 1, 1), dt.date(2026, 3, 1))
ROUNDS, REQUESTS, EVENTS_PER_REQUEST = 4, 30, 20


def _events(round_number: int, request: int) -> list[dict]:
    return [
        {"clientId": 1000, "recipientId": f"r-{round_number}-{request}-{n}", "mailingId": 9000001,
         "userListId": 42, "type": "open", "mediaTypesToAddresses": {"EMAIL": f"p{n}@example.com"},
         "timestamp": f"{DAYS[n % len(DAYS)].isoformat()}T10:{n % 60:02d}:00Z"}
        for n in range(EVENTS_PER_REQUEST)
    ]


def _consumer(warehouse_url: str, store_url: str, ranges, start, results) -> None:
    warehouse, store = WarehouseResource(url=warehouse_url), open_landing_store(store_url)
    try:
        for after, through in ranges:
            start.wait(timeout=60)
            consume(warehouse, store, after, through, WINDOW, (), DAYS[0])
        results.put("ok")
    except Exception as error:  # reported to the test, which fails on it
        results.put(f"{type(error).__name__}: {error}")
    finally:
        store.dispose()


def test_two_processes_adding_the_same_requests_store_each_event_once(warehouse_url, tmp_path):
    store_url = f"sqlite:///{tmp_path / 'landing.sqlite3'}"
    store = open_landing_store(store_url)
    ranges = []
    for round_number in range(ROUNDS):
        with store.begin() as connection:
            ids = [connection.execute(landed_requests.insert().values(
                received_at=dt.datetime(2026, 2, 4, tzinfo=dt.timezone.utc), event_count=EVENTS_PER_REQUEST,
                body=json.dumps(_events(round_number, request)).encode())).inserted_primary_key[0]
                for request in range(REQUESTS)]
        ranges.append((min(ids) - 1, max(ids)))
    store.dispose()

    outcomes = race(_consumer, warehouse_url, store_url, ranges)

    assert outcomes == ["ok", "ok"]
    warehouse = WarehouseResource(url=warehouse_url)
    total = warehouse.scalar(sa.select(sa.func.count()).select_from(episerver_activity))
    distinct = warehouse.scalar(sa.select(sa.func.count(sa.distinct(episerver_activity.c.event_id))))
    assert total == distinct == ROUNDS * REQUESTS * EVENTS_PER_REQUEST
