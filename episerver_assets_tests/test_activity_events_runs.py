"""`activity/episerver_activity` end to end: landing store -> sensor -> run -> warehouse, on both engines."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import pytest
import sqlalchemy as sa

from episerver_assets.defs.activity import events_landing
from episerver_assets.defs.activity.activity_asset import episerver_activity_asset
from episerver_assets.defs.activity.activity_sensor import episerver_activity_sensor
from episerver_assets.receiver.landing_store import landed_requests, open_landing_store
from episerver_assets.warehouse import WarehouseResource

ADDRESS = "Anna.Example@Example.COM"
RECEIVED = dt.datetime(2026, 2, 5, 8, 0, tzinfo=dt.timezone.utc)


def event(kind="click", at="2026-02-03T10:00:00Z", **changes):
    body = {
        "clientId": 1000, "recipientId": "r-1", "mailingId": 9000001, "userListId": 42, "type": kind,
        "mediaTypesToAddresses": {"EMAIL": ADDRESS}, "timestamp": at,
    }
    if kind == "click":
        body["link"] = "https://a.com/b?utm_source=campaign"
    body.update(changes)
    return body


class Landing:
    """The receiver's landing store, written through its own table definition."""

    def __init__(self, url: str):
        self.engine = open_landing_store(url)

    def land(self, payload) -> int:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        count = len(payload) if isinstance(payload, list) else 1
        row = {"received_at": RECEIVED, "event_count": count, "body": body}
        with self.engine.begin() as connection:
            return connection.execute(landed_requests.insert().values(**row)).inserted_primary_key[0]


@pytest.fixture
def landing(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'landing.sqlite3'}"
    monkeypatch.setenv("EPISERVER_RECEIVER_STORE_URL", url)
    monkeypatch.delenv("EPISERVER_ACTIVITY_EVENT_TYPES", raising=False)
    store = Landing(url)
    yield store
    store.engine.dispose()


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


def tick(instance, cursor):
    return episerver_activity_sensor(dg.build_sensor_context(instance=instance, cursor=cursor))


def run(instance, warehouse_url, tags=None, partition_key=None):
    result = dg.materialize(
        [episerver_activity_asset], resources={"warehouse": WarehouseResource(url=warehouse_url)},
        instance=instance, tags=tags, partition_key=partition_key,
    )
    assert result.success
    return {
        e.materialization.partition: {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
    }, result.run_id


def rows(warehouse_url, table="episerver_activity", order="event_id"):
    with WarehouseResource(url=warehouse_url).begin() as connection:
        result = connection.execute(sa.text(f"SELECT * FROM activity.{table} ORDER BY {order}"))
        return [dict(row) for row in result.mappings()]


def test_a_sensor_run_stores_each_event_once_and_rejects_the_malformed(landing, warehouse_url, instance, monkeypatch):
    monkeypatch.setenv("EPISERVER_ACTIVITY_EVENT_TYPES", "click,open")
    click = event()
    opened = event("Open", at="2026-02-04T23:30:00-02:00", recipientId=None)  # 01:30 UTC on the 5th
    landing.land([click, click, opened, event(type=None), event("sent")])
    landing.land(click)  # Campaign's retry, in a later request
    landing.land([event(at="not a time"), "just text"])
    landing.land(b"\x00 not json")

    result = tick(instance, None)
    [request] = result.run_requests
    assert result.cursor == "4"
    assert request.tags["dagster/asset_partition_range_start"] == "2026-02-03"
    assert request.tags["dagster/asset_partition_range_end"] == "2026-02-05"
    metadata, run_id = run(instance, warehouse_url, tags=request.tags)

    stored = {r["type"]: r for r in rows(warehouse_url)}
    assert set(stored) == {"click", "open"}
    assert stored["click"]["email"] == "anna.example@example.com"
    assert stored["click"]["email_original"] == ADDRESS
    assert stored["click"]["landed_request_id"] == 1
    assert stored["click"]["url_main"] == "a.com/b"
    assert stored["open"]["event_date"] == dt.date(2026, 2, 5)
    assert stored["open"]["ep_recipient_id"] is None
    assert [(r["landed_request_id"], r["event_index"], r["reason"]) for r in rows(
        warehouse_url, "episerver_activity_rejects", "landed_request_id, event_index")] == [
        (1, 3, "no type"),
        (3, 0, "timestamp is not RFC 3339 or epoch milliseconds"),
        (3, 1, "not a JSON object"),
        (4, 0, "body is not JSON"),
    ]
    assert set(metadata) == {"2026-02-03", "2026-02-05"}
    day = metadata["2026-02-03"]
    assert (day["dagster/row_count"], day["inserted"], day["duplicates"]) == (1, 1, 2)
    assert (day["skipped_by_type"], day["rejected"], day["landed_ids"]) == (1, 4, "1-4")
    assert day["rejected_reasons"]["no type"] == 1
    assert "event_id" in [c.name for c in day["dagster/column_schema"].columns]
    shown = json.dumps({k: str(v) for m in metadata.values() for k, v in m.items()})
    logged = " ".join(str(e.user_message) for e in instance.all_logs(run_id))
    assert "@" not in shown and "@" not in logged


def test_cursor_follows_consumed_ids_and_a_repeated_run_adds_nothing(landing, warehouse_url, instance, monkeypatch):
    monkeypatch.setattr(events_landing, "MAX_REQUESTS_PER_RUN", 2)
    for hour in range(3):
        landing.land(event(at=f"2026-02-03T{hour:02}:00:00Z"))
    first = tick(instance, None)
    assert first.cursor == "2"
    assert first.run_requests[0].tags["episerver/landed_through"] == "2"
    second = tick(instance, first.cursor)
    assert (second.cursor, second.run_requests[0].tags["episerver/landed_after"]) == ("3", "2")
    assert isinstance(tick(instance, "3"), dg.SkipReason)

    metadata, _ = run(instance, warehouse_url, tags=first.run_requests[0].tags)
    assert metadata["2026-02-03"]["inserted"] == 2
    before = rows(warehouse_url)
    again, _ = run(instance, warehouse_url, tags=first.run_requests[0].tags)
    assert (again["2026-02-03"]["inserted"], again["2026-02-03"]["duplicates"]) == (0, 2)
    assert rows(warehouse_url) == before
    run(instance, warehouse_url, tags=second.run_requests[0].tags)
    assert len(rows(warehouse_url)) == 3

    landing.land([event(at="2026-02-06T12:00:00Z"), event(at="2026-02-03T01:00:00Z")])  # one new, one repeat
    fourth = tick(instance, "3")
    assert fourth.cursor == "4"
    metadata, _ = run(instance, warehouse_url, tags=fourth.run_requests[0].tags)
    assert (metadata["2026-02-06"]["inserted"], metadata["2026-02-03"]["duplicates"]) == (1, 1)
    assert len(rows(warehouse_url)) == 4


def test_a_run_of_rejects_only_still_reports_them(landing, warehouse_url, instance):
    landing.land(b"not json")
    result = tick(instance, None)
    assert result.run_requests[0].tags["dagster/asset_partition_range_start"] == RECEIVED.date().isoformat()
    metadata, _ = run(instance, warehouse_url, tags=result.run_requests[0].tags)
    assert set(metadata) == {"2026-02-05"}
    assert (metadata["2026-02-05"]["rejected"], metadata["2026-02-05"]["inserted"]) == (1, 0)
    assert len(rows(warehouse_url, "episerver_activity_rejects", "landed_request_id")) == 1


def test_events_per_run_are_bounded_too(landing, instance, monkeypatch):
    monkeypatch.setattr(events_landing, "MAX_EVENTS_PER_RUN", 3)
    landing.land([event(at="2026-02-03T01:00:00Z")] * 2)
    landing.land([event(at="2026-02-04T01:00:00Z")] * 2)
    landing.land([event(at="2026-02-05T01:00:00Z")] * 2)
    result = tick(instance, None)
    assert result.cursor == "2"
    assert result.run_requests[0].tags["dagster/asset_partition_range_end"] == "2026-02-04"


def test_a_manual_run_rebuilds_its_day_from_the_landing_store(landing, warehouse_url, instance):
    landing.land([event(at="2026-02-03T10:00:00Z"), event("open", at="2026-02-03T11:00:00Z")])
    landing.land([event(at="2026-02-04T10:00:00Z"), event(at="2026-02-03T10:00:00Z")])
    run(instance, warehouse_url, tags=tick(instance, None).run_requests[0].tags)
    expected = rows(warehouse_url)
    with WarehouseResource(url=warehouse_url).begin() as connection:
        connection.execute(sa.text("DELETE FROM activity.episerver_activity WHERE type = 'open'"))
        connection.execute(
            sa.text("UPDATE activity.episerver_activity SET email = 'x' WHERE event_date = '2026-02-04'")
        )
        # 'stray' claims to come from a request the rebuild reads again; 'later' from one after the
        # store's last id, as a run consuming newer requests may have added meanwhile: it must stay.
        for event_id, landed_id in (("stray", 2), ("later", 99)):
            connection.execute(sa.text(
                "INSERT INTO activity.episerver_activity (event_id, event_date, event_ts, type, landed_request_id, "
                f"received_at) VALUES ('{event_id}', '2026-02-03', '2026-02-03 09:00:00+00', 'open', {landed_id}, "
                "'2026-02-05 08:00:00+00')"
            ))

    metadata, _ = run(instance, warehouse_url, partition_key="2026-02-03")

    assert set(metadata) == {"2026-02-03"}
    assert metadata["2026-02-03"]["dagster/row_count"] == 3
    assert metadata["2026-02-03"]["mode"] == "day rebuild"
    rebuilt = rows(warehouse_url)
    assert [r for r in rebuilt if r["event_date"] == dt.date(2026, 2, 3) and r["event_id"] != "later"] == [
        r for r in expected if r["event_date"] == dt.date(2026, 2, 3)
    ]
    assert "later" in [r["event_id"] for r in rebuilt]
    assert [r["email"] for r in rebuilt if r["event_date"] == dt.date(2026, 2, 4)] == ["x"]  # other days untouched


def test_postgres_landing_store(postgres_url, warehouse_url, instance, monkeypatch):
    monkeypatch.setenv("EPISERVER_RECEIVER_STORE_URL", postgres_url)
    monkeypatch.delenv("EPISERVER_ACTIVITY_EVENT_TYPES", raising=False)
    landing = Landing(postgres_url)
    try:
        landing.land([event(), event("open")])
        landing.land(event())
        result = tick(instance, None)
        assert result.cursor == "2"
        metadata, _ = run(instance, warehouse_url, tags=result.run_requests[0].tags)
    finally:
        landing.engine.dispose()
    assert (metadata["2026-02-03"]["inserted"], metadata["2026-02-03"]["duplicates"]) == (2, 1)
    assert sorted(r["type"] for r in rows(warehouse_url)) == ["click", "open"]
