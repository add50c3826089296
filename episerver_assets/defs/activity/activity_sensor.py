"""Sensor: follow the landing store and request a run for each new stretch of landed requests.

The cursor is the last landed request id handed to a run. A tick reads the requests after it (at
most MAX_REQUESTS_PER_RUN, stopping at MAX_EVENTS_PER_RUN events), reads the event dates in their
bodies, and requests one run over the partition range from the first to the last of those dates,
tagged with the ids it consumes. Nothing before the cursor is read again.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import sqlalchemy as sa

from ...settings import load_settings
from .activity_asset import LANDED_AFTER_TAG, LANDED_THROUGH_TAG, episerver_activity_asset
from .activity_partitions import partition_window
from .events_batch import DayWindow
from .events_landing import LandedRange, landed_bodies, landing_store, next_range
from .events_normalise import Rejected, event_date_of, events_in_body

activity_job = dg.define_asset_job(
    "episerver_activity_job",
    selection=dg.AssetSelection.assets(episerver_activity_asset),
    description="Add landed webhook events to `activity.episerver_activity` (or rebuild chosen days).",
)


def event_days(store: sa.Engine, landed: LandedRange, window: DayWindow) -> tuple[dt.date, dt.date]:
    """First and last event date with a partition in the range; with none (all rejects), the day the
    last request was received, so the run still records the rejects."""
    days: set[dt.date] = set()
    for _, _, body in landed_bodies(store, landed.after, landed.through):
        try:
            events = events_in_body(body)
        except Rejected:
            continue
        days.update(day for day in map(event_date_of, events) if day and window.refusal(day) is None)
    if not days:
        days = {min(max(landed.last_received_at.date(), window.first), window.last)}
    return min(days), max(days)


def evaluate_landing_store(cursor: str | None, store: sa.Engine) -> dg.SensorResult | dg.SkipReason:
    after = int(cursor or 0)
    landed = next_range(store, after)
    if landed is None:
        return dg.SkipReason(f"No landed requests after id {after}.")
    window = partition_window()
    if window.last < window.first:
        return dg.SkipReason(f"No activity partition exists yet (the first is {window.first}).")
    first, last = event_days(store, landed, window)
    request = dg.RunRequest(
        run_key=f"landed-{landed.after + 1}-{landed.through}",
        tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
            LANDED_AFTER_TAG: str(landed.after),
            LANDED_THROUGH_TAG: str(landed.through),
        },
    )
    return dg.SensorResult(run_requests=[request], cursor=str(landed.through))


@dg.sensor(
    name="episerver_activity_sensor",
    job=activity_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "Follows the webhook receiver's landing store (EPISERVER_RECEIVER_STORE_URL) by request id and "
        "requests a run of `activity/episerver_activity` for each new stretch of landed requests, over "
        "the days their events fall on. The cursor is the last landed id handed to a run."
    ),
)
def episerver_activity_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """See the description: one run per tick at most, over at most 20,000 requests."""
    with landing_store(load_settings()["EPISERVER_RECEIVER_STORE_URL"]) as store:
        return evaluate_landing_store(context.cursor, store)
