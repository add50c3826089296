"""Which response days on the SFTP server are complete and stable, and what the sensor remembers.

Pure logic, no I/O: the sensor lists the directory once, these functions decide from that listing
alone (names, sizes, mtimes; no file is read). A day goes through three looks:

1. complete (all eight tables under final names) but new or changed since the last tick: remembered
   as *pending* with its listing fingerprint;
2. the same fingerprint again at the next tick: *stable*, so the day is requested with a run key made
   of that fingerprint;
3. *requested* with that fingerprint: nothing more happens until its listing changes again.

Whether changed bytes are really new is the run's business: it hashes each file while downloading it
and records a table-day whose bytes equal its last load as unchanged instead of loading it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ...campaign.sftp import RemoteFile
from .schemas import RESPONSE_TABLES, parse_file_name

# 64 bits: collisions between two listings of the same day are not a practical concern.
SHORT_HASH_LENGTH = 16


def short_hash(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:SHORT_HASH_LENGTH]


def file_state(remote: RemoteFile) -> str:
    """`size:mtime` — what a listing tells about a file's content without reading it."""
    return f"{remote.size}:{int(remote.mtime.timestamp())}"


@dataclass(frozen=True)
class ResponseDay:
    """The response files of one day found in a listing, by warehouse table name."""

    day: dt.date
    files: Mapping[str, RemoteFile]

    @property
    def missing_tables(self) -> list[str]:
        return [name for name in RESPONSE_TABLES if name not in self.files]

    @property
    def complete(self) -> bool:
        return not self.missing_tables

    @property
    def fingerprint(self) -> str:
        """Changes whenever a file of the day appears, grows, shrinks or is written again."""
        return short_hash(*(f"{f.name}:{file_state(f)}" for f in sorted(self.files.values(), key=_name)))

    @property
    def run_key(self) -> str:
        """The same listing gives the same key (Dagster skips the request), any delivery a new one."""
        return f"{self.day.isoformat()}:{self.fingerprint}"


def _name(remote: RemoteFile) -> str:
    return remote.name


def group_by_day(listing: Iterable[RemoteFile]) -> dict[dt.date, ResponseDay]:
    """Response files under final names, by day; temporary names and other files are left out.

    If both `X.csv` and `X.csv.gz` are there, the later name wins, as in the run that loads them.
    """
    by_day: dict[dt.date, dict[str, RemoteFile]] = {}
    for remote in sorted(listing, key=_name):
        parsed = parse_file_name(remote.name)
        if parsed is not None:
            day, table = parsed
            by_day.setdefault(day, {})[table.name] = remote
    return {day: ResponseDay(day, files) for day, files in sorted(by_day.items())}


@dataclass
class SensorCursor:
    """What the sensor carries from tick to tick: one fingerprint per day still on the server."""

    pending: dict[str, str] = field(default_factory=dict)
    requested: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, text: str | None) -> SensorCursor:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(data.get("pending", {}), data.get("requested", {}))

    def to_json(self) -> str:
        data = {"pending": self.pending, "requested": self.requested}
        return json.dumps({k: v for k, v in data.items() if v}, sort_keys=True, separators=(",", ":"))


@dataclass
class TickPlan:
    """A listing's days sorted by what this tick does with them (oldest day first in each list)."""

    stable: list[ResponseDay] = field(default_factory=list)  # request now
    settling: list[ResponseDay] = field(default_factory=list)  # new or changed: look again next tick
    incomplete: list[ResponseDay] = field(default_factory=list)
    out_of_range: list[ResponseDay] = field(default_factory=list)  # no such partition (yet)
    unchanged: list[ResponseDay] = field(default_factory=list)  # requested with this very listing


def plan_tick(
    days: Mapping[dt.date, ResponseDay], cursor: SensorCursor, first_day: dt.date, last_day: dt.date | None
) -> TickPlan:
    plan = TickPlan()
    for day, files in sorted(days.items()):
        key, fingerprint = day.isoformat(), files.fingerprint
        if not files.complete:
            plan.incomplete.append(files)
        elif day < first_day or last_day is None or day > last_day:
            plan.out_of_range.append(files)
        elif cursor.requested.get(key) == fingerprint:
            plan.unchanged.append(files)
        elif cursor.pending.get(key) == fingerprint:
            plan.stable.append(files)
        else:
            plan.settling.append(files)
    return plan


def next_cursor(days: Mapping[dt.date, ResponseDay], cursor: SensorCursor, plan: TickPlan) -> SensorCursor:
    """The cursor after this tick, which requests `plan.stable`: days that left the server are forgotten."""
    on_server = {day.isoformat() for day in days}
    return SensorCursor(
        pending={d.day.isoformat(): d.fingerprint for d in plan.settling},
        requested={k: v for k, v in cursor.requested.items() if k in on_server}
        | {d.day.isoformat(): d.fingerprint for d in plan.stable},
    )
