"""Landed requests in, per-day Arrow tables of distinct events and a table of rejects out.

An event already seen in the batch (a retry in a later request, or twice in one array) is counted as
a duplicate of its day and kept once: its first delivery, in landed-id order. Types outside the
chosen event types are counted and dropped; events that cannot be normalised become rejects.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import pyarrow as pa

from .events_normalise import ActivityEvent, Rejected, event_type, events_in_body, normalise

_EVENT_COLUMNS = ActivityEvent._fields
_ARROW_TYPES = {
    "event_date": pa.date32(), "event_ts_us": pa.int64(), "url_hash": pa.int64(),
}
OUTSIDE_PARTITIONS = "event date outside the partitions"


@dataclass(frozen=True)
class DayWindow:
    """The event dates a batch may store: the partitions that exist (and, when rebuilding, the chosen days)."""

    first: dt.date
    last: dt.date
    only: frozenset[dt.date] | None = None

    def refusal(self, day: dt.date) -> str | None:
        if not self.first <= day <= self.last:
            return f"{OUTSIDE_PARTITIONS}: {day} is not in {self.first} to {self.last}"
        return None

    def keeps(self, day: dt.date) -> bool:
        return self.only is None or day in self.only


@dataclass
class _Day:
    rows: list[tuple] = field(default_factory=list)
    landed_ids: list[int] = field(default_factory=list)
    received_at: list[dt.datetime] = field(default_factory=list)
    duplicates: int = 0


class ActivityBatch:
    def __init__(self, window: DayWindow, event_types: Collection[str] = (), collect_rejects: bool = True) -> None:
        self.window = window
        self.collect_rejects = collect_rejects
        self.event_types = frozenset(event_types)
        self.days: dict[dt.date, _Day] = defaultdict(_Day)
        self.rejects: list[tuple[int, int, str, str, dt.datetime]] = []
        self.reasons: Counter[str] = Counter()
        self.skipped_by_type = 0
        self.events_read = 0
        self._seen: set[str] = set()

    def add(self, landed_id: int, received_at: dt.datetime, body: bytes) -> None:
        try:
            events = events_in_body(body)
        except Rejected as rejected:
            self._reject(landed_id, 0, str(rejected), received_at, lambda: _storable_text(body))
            self.events_read += 1
            return
        self.events_read += len(events)
        for index, event in enumerate(events):
            try:
                kind = event_type(event)
                if self.event_types and kind not in self.event_types:
                    self.skipped_by_type += 1
                    continue
                row = normalise(event, kind)
                refusal = self.window.refusal(row.event_date)
                if refusal:
                    raise Rejected(refusal)
            except Rejected as rejected:
                self._reject(landed_id, index, str(rejected), received_at, lambda event=event: _event_json(event))
                continue
            if self.window.keeps(row.event_date):
                self._keep(row, landed_id, received_at)

    def _keep(self, row: ActivityEvent, landed_id: int, received_at: dt.datetime) -> None:
        day = self.days[row.event_date]
        if row.event_id in self._seen:
            day.duplicates += 1
            return
        self._seen.add(row.event_id)
        day.rows.append(row)
        day.landed_ids.append(landed_id)
        day.received_at.append(received_at)

    def _reject(
        self, landed_id: int, index: int, reason: str, received_at: dt.datetime, raw: Callable[[], str]
    ) -> None:
        """`raw()` gives the rejected text; only called when rejects are kept (not when rebuilding)."""
        if self.collect_rejects:
            self.rejects.append((landed_id, index, reason, raw(), received_at))
        self.reasons[OUTSIDE_PARTITIONS if reason.startswith(OUTSIDE_PARTITIONS) else reason] += 1

    def day_table(self, day: dt.date) -> pa.Table:
        """The day's distinct events, with the activity table's column names."""
        held = self.days[day]
        columns = list(zip(*held.rows)) if held.rows else [[] for _ in _EVENT_COLUMNS]
        arrays = {
            name: pa.array(values, _ARROW_TYPES.get(name, pa.large_string()))
            for name, values in zip(_EVENT_COLUMNS, columns)
        }
        arrays["event_ts"] = arrays.pop("event_ts_us").cast(pa.timestamp("us", tz="UTC"))
        arrays["landed_request_id"] = pa.array(held.landed_ids, pa.int64())
        arrays["received_at"] = _utc_array(held.received_at)
        return pa.table(arrays)

    def rejects_table(self) -> pa.Table:
        columns = list(zip(*self.rejects)) if self.rejects else [[] for _ in range(5)]
        return pa.table({
            "landed_request_id": pa.array(columns[0], pa.int64()),
            "event_index": pa.array(columns[1], pa.int32()),
            "reason": pa.array(columns[2], pa.large_string()),
            "raw_event": pa.array(columns[3], pa.large_string()),
            "received_at": _utc_array(columns[4]),
        })


def _storable_text(body: bytes) -> str:
    """A body that is not JSON, as text both engines store: bad UTF-8 and NUL become U+FFFD."""
    return body.decode("utf-8", "replace").replace("\x00", "\ufffd")


def _event_json(event) -> str:
    text = json.dumps(event, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: escaped, the JSON stays exact
        return json.dumps(event)
    return text


def _utc_array(values) -> pa.Array:
    # SQLite hands back naive datetimes holding the receiver's UTC time; PostgreSQL aware ones.
    aware = [v if v.tzinfo else v.replace(tzinfo=dt.timezone.utc) for v in values]
    return pa.array(aware, pa.timestamp("us", tz="UTC"))
