"""Sensor: request a day's closed-loop run once its eight response files are complete and stable.

One tick = one directory listing and nothing else: no file is opened, so every byte of a response
file crosses the link once, in the run that loads it. The decisions live in `remote_days` (pure);
this module does the listing and speaks Dagster.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Sequence

import dagster as dg

from ...campaign.sftp import CampaignSftpResource, SftpSession
from .jobs import closed_loop_job
from .partitions import daily_partitions
from .remote_days import SensorCursor, TickPlan, group_by_day, next_cursor, plan_tick

DAYS_NAMED_PER_LINE = 5

DESCRIPTION = """Watches the Campaign closed-loop SFTP response directory and requests a day's
`closed_loop_job` partition once all eight `YYYYMMDD_<table>.csv` files are there under their final
names and their listing (names, sizes, mtimes) is unchanged since the previous tick. It decides from
the directory listing alone and never reads a file: the run key is the day plus a hash of the files'
names, sizes and mtimes, so any new delivery of a file starts a new run, and the run, which hashes
each file while downloading it, records a table whose bytes equal its last load as unchanged instead
of loading it again."""


def partition_bounds() -> tuple[dt.date, dt.date | None]:
    """First and last day that have a partition now (None while none has opened yet)."""
    last = daily_partitions.get_last_partition_key()
    return daily_partitions.start.date(), dt.date.fromisoformat(last) if last else None


def tick_session(sftp: CampaignSftpResource) -> SftpSession:
    """A session bounded tighter than a run's: the tick must end well inside Dagster's time limit,
    and the next tick tries again anyway."""
    settings, retry = sftp.settings(), sftp.retry_policy()
    return SftpSession(
        dataclasses.replace(
            settings,
            connect_timeout=min(settings.connect_timeout, 10.0),
            operation_timeout=min(settings.operation_timeout, 20.0),
        ),
        dataclasses.replace(retry, max_attempts=min(retry.max_attempts, 2), max_delay=min(retry.max_delay, 2.0)),
    )


def _named(days: Sequence[dt.date]) -> str:
    shown = ", ".join(day.isoformat() for day in days[:DAYS_NAMED_PER_LINE])
    return shown + (f" and {len(days) - DAYS_NAMED_PER_LINE} more" if len(days) > DAYS_NAMED_PER_LINE else "")


def skip_message(directory: str, plan: TickPlan) -> str:
    """Why nothing was requested, for the tick's entry in the UI."""
    waiting = [d.day for d in plan.settling]
    incomplete = [f"{d.day} (missing {', '.join(d.missing_tables)})" for d in plan.incomplete]
    outside = [d.day for d in plan.out_of_range]
    parts = []
    if waiting:
        parts.append(f"{len(waiting)} day(s) new or changing, looked at again next tick: {_named(waiting)}")
    if incomplete:
        parts.append(f"{len(incomplete)} day(s) incomplete: {', '.join(incomplete[:DAYS_NAMED_PER_LINE])}")
    if outside:
        parts.append(f"{len(outside)} day(s) outside the partitions: {_named(outside)}")
    if plan.unchanged:
        parts.append(f"{len(plan.unchanged)} day(s) already requested and unchanged")
    return "No day ready to request: " + ("; ".join(parts) or f"no response files in {directory}/") + "."


def evaluate_response_directory(
    cursor_text: str | None, sftp: CampaignSftpResource, log: logging.Logger
) -> dg.SensorResult:
    """One tick: list the directory, decide, request every day whose listing held since the last tick."""
    cursor = SensorCursor.from_json(cursor_text)
    first_day, last_day = partition_bounds()
    with tick_session(sftp) as session:
        days = group_by_day(session.list(sftp.response_dir, "*"))
    plan = plan_tick(days, cursor, first_day, last_day)
    if plan.out_of_range:
        outside = _named([d.day for d in plan.out_of_range])
        log.info(f"Ignoring complete days without a partition ({first_day} to {last_day}): {outside}")
    new_cursor = next_cursor(days, cursor, plan).to_json()
    if plan.stable:
        requests = [dg.RunRequest(partition_key=d.day.isoformat(), run_key=d.run_key) for d in plan.stable]
        return dg.SensorResult(run_requests=requests, cursor=new_cursor)
    return dg.SensorResult(skip_reason=skip_message(sftp.response_dir, plan), cursor=new_cursor)


@dg.sensor(
    name="closed_loop_response_files_sensor",
    job=closed_loop_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=DESCRIPTION,
)
def closed_loop_response_files_sensor(
    context: dg.SensorEvaluationContext, sftp: CampaignSftpResource
) -> dg.SensorResult:
    """Requests each response day once its files are complete and stable; see DESCRIPTION."""
    return evaluate_response_directory(context.cursor, sftp, context.log)
