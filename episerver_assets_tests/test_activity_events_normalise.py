"""Normalisation of one webhook event, field by field, with hand-written expectations."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from episerver_assets.defs.activity.events_batch import ActivityBatch, DayWindow
from episerver_assets.defs.activity.events_normalise import Rejected, event_type, normalise

UTC = dt.timezone.utc
WINDOW = DayWindow(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
RECEIVED = dt.datetime(2026, 2, 4, 8, 0)


def click(**changes):
    event = {
        "clientId": 1000,
        "recipientId": "Anna.Example@Example.COM",
        "mailingId": "9000012",
        "userListId": 42.0,
        "type": " Click ",
        "mediaTypesToAddresses": {"EMAIL": "Anna.Example@Example.COM"},
        "timestamp": "2026-02-03T23:30:00.250-02:00",
        "link": "https://a.com/b?x=1#top",
    }
    event.update(changes)
    return {k: v for k, v in event.items() if v is not None}


def normalised(event):
    return normalise(event, event_type(event))


def test_every_field_of_a_click():
    row = normalised(click())
    assert row.type == "click"
    assert row.email == "anna.example@example.com"
    assert row.email_original == "Anna.Example@Example.COM"
    assert row.ep_recipient_id == "Anna.Example@Example.COM"
    assert row.mailing_id == "9000012"  # a decimal string, kept as delivered
    assert row.recipient_list_id == "42"  # an integral JSON number
    assert row.client_id == "1000"
    assert row.link == "https://a.com/b?x=1#top"
    assert row.url_main == "a.com/b"
    assert row.url_hash == -5448837904950627796  # pinned independently in test_activity_urls
    # 23:30:00.250 at -02:00 is 01:30:00.250 UTC the next day: the partition is the UTC date.
    assert row.event_date == dt.date(2026, 2, 4)
    assert row.event_ts_us == 1_770_168_600_250_000


def test_event_id_is_sha256_of_canonical_json():
    canonical = (
        '{"clientId":1000,"link":"https://a.com/b?x=1#top","mailingId":"9000012",'
        '"mediaTypesToAddresses":{"EMAIL":"Anna.Example@Example.COM"},"recipientId":"Anna.Example@Example.COM",'
        '"timestamp":"2026-02-03T23:30:00.250-02:00","type":" Click ","userListId":42.0}'
    )
    assert normalised(click()).event_id == hashlib.sha256(canonical.encode()).hexdigest()
    reordered = dict(reversed(list(click().items())))
    assert normalised(reordered).event_id == normalised(click()).event_id
    assert normalised(click(mailingId="9000013")).event_id != normalised(click()).event_id


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ("2026-02-03T10:00:00Z", dt.datetime(2026, 2, 3, 10, tzinfo=UTC)),
        ("2026-02-03T10:00:00+05:30", dt.datetime(2026, 2, 3, 4, 30, tzinfo=UTC)),
        ("2026-02-03T10:00:00.123456789Z", dt.datetime(2026, 2, 3, 10, 0, 0, 123456, tzinfo=UTC)),
        (1770161400250, dt.datetime(2026, 2, 3, 23, 30, 0, 250000, tzinfo=UTC)),
        (1770161400250.0, dt.datetime(2026, 2, 3, 23, 30, 0, 250000, tzinfo=UTC)),
    ],
)
def test_timestamps(timestamp, expected):
    row = normalised(click(timestamp=timestamp))
    epoch = dt.datetime(1970, 1, 1, tzinfo=UTC)
    assert epoch + dt.timedelta(microseconds=row.event_ts_us) == expected
    assert row.event_date == expected.date()


def test_open_without_link_and_with_recipient_id_only():
    row = normalised(click(type="OPEN", link=None, mediaTypesToAddresses=None, recipientId=123456789012))
    assert (row.type, row.link, row.url_main, row.url_hash) == ("open", None, None, None)
    assert (row.email, row.email_original, row.ep_recipient_id) == (None, None, "123456789012")


def test_address_only_and_ids_missing():
    row = normalised(click(recipientId=None, mailingId=None, userListId=None, clientId=None))
    assert row.email == "anna.example@example.com" and row.ep_recipient_id is None
    assert (row.mailing_id, row.recipient_list_id, row.client_id) == (None, None, None)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"type": None}, "no type"),
        ({"type": "  "}, "no type"),
        ({"type": 3}, "no type"),
        ({"recipientId": None, "mediaTypesToAddresses": {"EMAIL": " "}}, "no e-mail address and no recipient id"),
        ({"recipientId": None, "mediaTypesToAddresses": None}, "no e-mail address and no recipient id"),
        ({"timestamp": None}, "no timestamp"),
        ({"timestamp": "yesterday"}, "timestamp is not RFC 3339 or epoch milliseconds"),
        ({"timestamp": "2026-02-03T10:00:00"}, "timestamp has no UTC offset"),
        ({"timestamp": True}, "timestamp is not RFC 3339 or epoch milliseconds"),
        ({"timestamp": 1e300}, "timestamp is not RFC 3339 or epoch milliseconds"),
        ({"mailingId": 12.5}, "mailingId is not an integer"),
        ({"userListId": "12a"}, "userListId is not an integer"),
        ({"clientId": True}, "clientId is not an integer"),
        ({"recipientId": 7.25}, "recipientId is not an integer"),
        ({"link": "https://a.com/\x00"}, "text with a NUL character"),
        ({"recipientId": "r\ud800"}, "text that is not valid Unicode (a lone surrogate)"),
    ],
)
def test_malformed_events_are_rejected_with_the_reason(changes, reason):
    event = click(**changes)
    for key, value in changes.items():
        if value is None:
            event.pop(key, None)
    with pytest.raises(Rejected) as rejected:
        normalised(event)
    assert str(rejected.value) == reason
    assert "anna" not in str(rejected.value).lower()


def test_batch_keeps_one_row_per_event_and_counts_the_rest():
    batch = ActivityBatch(WINDOW, event_types=("click", "open"))
    first = click()
    batch.add(1, RECEIVED, json.dumps([first, first, click(type="open", link=None)]).encode())
    batch.add(2, RECEIVED, json.dumps(first).encode())  # a retry in a later request
    batch.add(3, RECEIVED, json.dumps([click(type="sent"), click(timestamp="2019-05-01T00:00:00Z"), [1]]).encode())
    batch.add(4, RECEIVED, b"{not json\x00")
    day = batch.days[dt.date(2026, 2, 4)]
    assert (len(day.rows), day.duplicates, day.landed_ids) == (2, 2, [1, 1])
    assert batch.skipped_by_type == 1
    assert batch.events_read == 8  # 3 + 1 + 3, and the body that is not JSON
    assert [(r[0], r[1], r[2]) for r in batch.rejects] == [
        (3, 1, "event date outside the partitions: 2019-05-01 is not in 2026-01-01 to 2026-03-31"),
        (3, 2, "not a JSON object"),
        (4, 0, "body is not JSON"),
    ]
    assert batch.rejects[2][3] == "{not json\ufffd" and json.loads(batch.rejects[1][3]) == [1]
    table = batch.day_table(dt.date(2026, 2, 4))
    assert table.column("event_ts").type.tz == "UTC"
    assert table.column("received_at").to_pylist()[0] == RECEIVED.replace(tzinfo=UTC)
