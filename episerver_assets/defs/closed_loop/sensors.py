"""Sensor: request a day's closed-loop run once its eight response files are complete and stable.

One tick = one directory listing, plus reading only the files of days that just became stable. The
decisions live in `remote_days` (pure); this module does the SFTP reads and speaks Dagster.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import posixpath
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import dagster as dg

from ...campaign.errors import CampaignError
from ...campaign.sftp import CampaignSftpResource, RemoteFile, SftpSession
from .jobs import closed_loop_job
from .partitions import daily_partitions
from .remote_days import (
    ResponseDay,
    SensorCursor,
    TickPlan,
    file_state,
    group_by_day,
    next_cursor,
    plan_tick,
    run_key,
)

CHECKSUM_TAG_PREFIX = "closed_loop.sha256/"
# Dagster cancels a tick after 60 s by default; hashing stops at these limits and resumes next tick.
HASH_SECONDS_PER_TICK = 25.0
HASH_BYTES_PER_TICK = 1024**3
DAYS_NAMED_PER_LINE = 5

DESCRIPTION = """Watches the Campaign closed-loop SFTP response directory and requests a day's
`closed_loop_job` partition once all eight `YYYYMMDD_<table>.csv` files are there under their final
names and unchanged (names, sizes, mtimes) since the previous tick. The run key is built from the
files' SHA-256 checksums: a corrected file delivered again starts a new run, the same bytes delivered
again do not."""


@dataclass
class HashBudget:
    """How much reading one tick may do. The first file is always allowed, so huge files still progress."""

    seconds: float = HASH_SECONDS_PER_TICK
    max_bytes: int = HASH_BYTES_PER_TICK
    clock: Callable[[], float] = time.monotonic
    used_bytes: int = 0
    used_files: int = 0
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def allows(self, size: int) -> bool:
        """Whether a file of `size` bytes, read at the pace seen so far this tick, still fits."""
        if self.used_files == 0:
            return True
        elapsed = self.clock() - self.started
        expected = size * elapsed / max(self.used_bytes, 1)
        return elapsed + expected < self.seconds and self.used_bytes + size <= self.max_bytes

    def spend(self, size: int) -> None:
        self.used_bytes += size
        self.used_files += 1


@dataclass
class Hashing:
    """The checksums one tick obtained: whole days ready to request, and what waits for the next tick."""

    days: dict[dt.date, dict[str, str]] = field(default_factory=dict)  # day -> file name -> sha256
    checksums: dict[str, str] = field(default_factory=dict)  # file name -> size:mtime:sha256
    deferred: list[dt.date] = field(default_factory=list)
    failure: str | None = None


def _sha256_of_remote(session: SftpSession, directory: str, remote: RemoteFile) -> str:
    opened, checksum = session.sha256(posixpath.join(directory, remote.name))
    if file_state(opened) != file_state(remote):
        raise CampaignError(f"{remote.name} changed since it was listed (size:mtime {file_state(opened)})")
    return checksum


def _hash_day(
    session: SftpSession, directory: str, day: ResponseDay, cursor: SensorCursor, budget: HashBudget,
    hashed: dict[str, str],
) -> dict[str, str] | None:
    """File name -> SHA-256 for the day, or None when the budget ran out first; records each file in `hashed`."""
    checksums: dict[str, str] = {}
    for remote in day.files.values():
        checksum = cursor.cached_checksum(remote)
        if checksum is None:
            if not budget.allows(remote.size):
                return None
            checksum = _sha256_of_remote(session, directory, remote)
            budget.spend(remote.size)
        checksums[remote.name] = checksum
        hashed[remote.name] = f"{file_state(remote)}:{checksum}"
    return checksums


def hash_stable_days(
    session: SftpSession, directory: str, days: Sequence[ResponseDay], cursor: SensorCursor, budget: HashBudget
) -> Hashing:
    """SHA-256 of every file of `days`, oldest day first, until the budget is spent or a read fails."""
    result = Hashing()
    for index, day in enumerate(days):
        try:
            checksums = _hash_day(session, directory, day, cursor, budget, result.checksums)
        except CampaignError as exc:
            checksums, result.failure = None, str(exc)
        if checksums is None:
            result.deferred = [d.day for d in days[index:]]
            break
        result.days[day.day] = checksums
    return result


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


def skip_message(directory: str, plan: TickPlan, hashing: Hashing) -> str:
    """Why nothing was requested, for the tick's entry in the UI."""
    waiting = sorted([d.day for d in plan.settling] + hashing.deferred)
    incomplete = [f"{d.day} (missing {', '.join(d.missing_tables)})" for d in plan.incomplete]
    outside = [d.day for d in plan.out_of_range]
    parts = []
    if waiting:
        parts.append(f"{len(waiting)} day(s) new, changing or not yet hashed, looked at next tick: {_named(waiting)}")
    if incomplete:
        parts.append(f"{len(incomplete)} day(s) incomplete: {', '.join(incomplete[:DAYS_NAMED_PER_LINE])}")
    if outside:
        parts.append(f"{len(outside)} day(s) outside the partitions: {_named(outside)}")
    if plan.unchanged:
        parts.append(f"{len(plan.unchanged)} day(s) already requested and unchanged")
    return "No day ready to request: " + ("; ".join(parts) or f"no response files in {directory}/") + "."


def evaluate_response_directory(
    cursor_text: str | None, sftp: CampaignSftpResource, budget: HashBudget, log: logging.Logger
) -> dg.SensorResult:
    """One tick: list, decide, hash the stable days within `budget`, request them."""
    cursor = SensorCursor.from_json(cursor_text)
    first_day, last_day = partition_bounds()
    with tick_session(sftp) as session:
        days = group_by_day(session.list(sftp.response_dir, "*"))
        plan = plan_tick(days, cursor, first_day, last_day)
        hashing = hash_stable_days(session, sftp.response_dir, plan.stable, cursor, budget)
    if plan.out_of_range:
        outside = _named([d.day for d in plan.out_of_range])
        log.info(f"Ignoring complete days without a partition ({first_day} to {last_day}): {outside}")
    if hashing.failure:
        log.warning(f"Reading response files failed, trying again next tick: {hashing.failure}")
    elif hashing.deferred:
        log.info(f"Hashing budget used up; next tick continues with {_named(hashing.deferred)}")
    requests = [
        dg.RunRequest(
            partition_key=day.isoformat(),
            run_key=run_key(day, checksums),
            tags={CHECKSUM_TAG_PREFIX + name: checksum for name, checksum in sorted(checksums.items())},
        )
        for day, checksums in hashing.days.items()
    ]
    new_cursor = next_cursor(days, cursor, plan, hashing.days, hashing.checksums).to_json()
    if requests:
        return dg.SensorResult(run_requests=requests, cursor=new_cursor)
    return dg.SensorResult(skip_reason=skip_message(sftp.response_dir, plan, hashing), cursor=new_cursor)


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
    return evaluate_response_directory(context.cursor, sftp, HashBudget(), context.log)
