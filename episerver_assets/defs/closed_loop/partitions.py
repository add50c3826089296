"""Response files arrive once a day; their partition is the date in the file name, never the mtime."""

from __future__ import annotations

import dagster as dg

from ...settings import setting_value

daily_partitions = dg.DailyPartitionsDefinition(
    start_date=setting_value("EPISERVER_CLOSED_LOOP_START_DATE"), end_offset=0
)
"""One partition per file date from EPISERVER_CLOSED_LOOP_START_DATE (validated by the settings module;
`episerver-assets demo` sets it in `.env` to its first day); the current day opens once its files can
exist (Campaign exports the previous day's data), so the last partition is yesterday."""
