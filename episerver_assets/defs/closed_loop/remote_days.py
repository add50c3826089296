"""Which response days on the SFTP server are complete and stable, and what the sensor remembers.

Pure logic, no I/O: the sensor lists the directory once, these functions decide what to do with the
listing, the sensor hashes files and requests runs. A day goes through three looks:

1. complete (all eight tables under final names) but new or changed since the last tick: remembered
   as *pending* with its listing fingerprint (names, sizes, mtimes);
2. the same fingerprint again at the next tick: *stable*, so its files are hashed and the day requested;
3. *requested* with that fingerprint: nothing more happens until its listing changes again.
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


def run_key(day: dt.date, checksums: Mapping[str, str]) -> str:
    """Same bytes give the same key (Dagster skips the request), a corrected file a new one."""
    return f"{day.isoformat()}:" + short_hash(day.isoformat(), *(f"{n}:{checksums[n]}" for n in sorted(checksums)))


@dataclass
class SensorCursor:
    """What the sensor carries from tick to tick; only days still on the server, so it stays small.

    `checksums` holds `size:mtime:sha256` per file of a day whose hashing a tick's budget cut short,
    so the next tick does not read those files again.
    """

    pending: dict[str, str] = field(default_factory=dict)
    requested: dict[str, str] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, text: str | None) -> SensorCursor:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(data.get("pending", {}), data.get("requested", {}), data.get("checksums", {}))

    def to_json(self) -> str:
        data = {"pending": self.pending, "requested": self.requested, "checksums": self.checksums}
        return json.dumps({k: v for k, v in data.items() if v}, sort_keys=True, separators=(",", ":"))

    def cached_checksum(self, remote: RemoteFile) -> str | None:
        state, _, checksum = self.checksums.get(remote.name, "").rpartition(":")
        return checksum if state == file_state(remote) else None


@dataclass
class TickPlan:
    """A listing's days sorted by what this tick does with them (oldest day first in each list)."""

    stable: list[ResponseDay] = field(default_factory=list)  # hash and request now
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


def next_cursor(
    days: Mapping[dt.date, ResponseDay],
    cursor: SensorCursor,
    plan: TickPlan,
    requested: Iterable[dt.date],
    checksums: Mapping[str, str],
) -> SensorCursor:
    """The cursor after this tick: days that left the server are forgotten.

    `checksums` are `size:mtime:sha256` of files hashed for days not requested this tick.
    """
    requested = set(requested)
    on_server = {day.isoformat() for day in days}
    still_pending = [d for d in plan.stable + plan.settling if d.day not in requested]
    pending_files = {f.name: file_state(f) for d in still_pending for f in d.files.values()}
    return SensorCursor(
        pending={d.day.isoformat(): d.fingerprint for d in still_pending},
        requested={k: v for k, v in cursor.requested.items() if k in on_server}
        | {day.isoformat(): days[day].fingerprint for day in requested},
        checksums={
            name: value
            for name, value in checksums.items()
            if value.rpartition(":")[0] == pending_files.get(name)
        },
    )
