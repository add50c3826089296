"""Activity is partitioned by the UTC date of each event, from the closed-loop tables' first day to today."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from ...settings import setting_value
from .events_batch import DayWindow

activity_days = dg.DailyPartitionsDefinition(
    start_date=setting_value("EPISERVER_CLOSED_LOOP_START_DATE"), end_offset=1, timezone="UTC"
)
"""Webhook events arrive as they happen, so today has a partition (end_offset=1). The first day is the
closed-loop tables' (EPISERVER_CLOSED_LOOP_START_DATE), which puts both sources on one calendar."""


def partition_window() -> DayWindow:
    """The event dates that have a partition now; events outside them are rejected with that reason."""
    last = activity_days.get_last_partition_key()
    first = activity_days.start.date()
    return DayWindow(first, dt.date.fromisoformat(last) if last else first - dt.timedelta(days=1))
