"""What one activity run does, apart from Dagster: read landed requests, normalise, write days and rejects.

Two ways in: `consume` takes the landed ids (after, through] the sensor chose and adds their new
events to whatever days they fall on; `rebuild` reads the whole landing store again for chosen days
and puts back exactly what it holds for them (rows a concurrent run added from later ids survive).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa

from ...warehouse import WarehouseResource
from .events_batch import ActivityBatch, DayWindow
from .events_landing import landed_bodies, last_landed_id
from .events_load import DayWritten, ensure_activity_tables, write_day, write_rejects


@dataclass(frozen=True)
class RunOutcome:
    after: int
    through: int
    batch: ActivityBatch
    days: list[DayWritten]
    rejects_inserted: int

    def duplicates(self, day: DayWritten) -> int:
        """Deliveries of the day's events not stored again: repeats in this run and events stored before."""
        held = self.batch.days[day.day]
        return held.duplicates + len(held.rows) - day.inserted


def _read(batch: ActivityBatch, store: sa.Engine, after: int, through: int) -> ActivityBatch:
    for landed_id, received_at, body in landed_bodies(store, after, through):
        batch.add(landed_id, received_at, body)
    return batch


def consume(
    warehouse: WarehouseResource, store: sa.Engine, after: int, through: int,
    window: DayWindow, event_types: Collection[str], quiet_day: dt.date,
) -> RunOutcome:
    """`quiet_day` is reported (with nothing inserted) when no event has a day: the run's skip and
    reject counts still reach a materialization."""
    batch = _read(ActivityBatch(window, event_types), store, after, through)
    ensure_activity_tables(warehouse)
    with warehouse.session():
        rejects = write_rejects(warehouse, batch.rejects_table())
        days = [write_day(warehouse, day, batch.day_table(day)) for day in sorted(batch.days or [quiet_day])]
    return RunOutcome(after, through, batch, days, rejects)


def rebuild(
    warehouse: WarehouseResource, store: sa.Engine, days: Collection[dt.date],
    window: DayWindow, event_types: Collection[str],
) -> RunOutcome:
    through = last_landed_id(store)
    chosen = DayWindow(window.first, window.last, frozenset(days))
    batch = _read(ActivityBatch(chosen, event_types, collect_rejects=False), store, 0, through)
    ensure_activity_tables(warehouse)
    with warehouse.session():
        written = [write_day(warehouse, day, batch.day_table(day), replacing_through=through) for day in sorted(days)]
    return RunOutcome(0, through, batch, written, 0)
