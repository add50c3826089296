"""Response files arrive once a day; their partition is the date in the file name, never the mtime."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from ...settings import setting_value

DEFAULT_START_DATE = "2026-01-01"


def closed_loop_start_date() -> str:
    value = setting_value("EPISERVER_CLOSED_LOOP_START_DATE", DEFAULT_START_DATE)
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"EPISERVER_CLOSED_LOOP_START_DATE must be YYYY-MM-DD, got {value!r}") from None
    return value


daily_partitions = dg.DailyPartitionsDefinition(start_date=closed_loop_start_date(), end_offset=0)
"""One partition per file date; the current day opens once its files can exist (Campaign exports
the previous day's data), so the last partition is yesterday."""
