"""The eight daily response files of the closed-loop interface, written as seed 004 specifies.

`YYYYMMDD_<table>.csv`: UTF-8, header row, `;` separator, every field in double quotes with quotes
doubled, LF line ends, timestamps `YYYY-MM-DD HH:MM:SS`, empty where a value does not apply. pyarrow's
CSV writer does the quoting in C++, chunk by chunk, so a day of ten million rows streams to disk.
Each file is written under a hidden temporary name (`.YYYYMMDD_<table>.csv.tmp`) and renamed when
all eight are complete, so a reader never sees a partial file under its final name.
"""

from __future__ import annotations

import os
import re
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.csv as pa_csv

from ...pgp.armor import ENCRYPTED_SUFFIXES
from .day_plan import DayPlan
from .events import send_tables
from .scales import Sizes, resolve_sizes

RESPONSE_FILE_COLUMNS: dict[str, tuple[str, ...]] = {
    "mailings": ("id", "compoundMasterId", "mailingGroupId", "mailing.recipientLists", "started", "finished"),
    "mailingrecipients": (
        "id", "mailingId", "mailingGroupId", "userId", "created", "sendingStatus", "deliveryStatus",
        "response.category",
    ),
    "links": ("id", "mailingId", "mailingToUserId", "mailingGroupId", "name", "url"),
    "clicks": (
        "linkId", "mailingId", "mailingToUserId", "mailingGroupId", "userId", "created", "click.browser",
        "click.platform", "click.device",
    ),
    "opens": (
        "linkId", "mailingId", "mailingToUserId", "mailingGroupId", "userId", "created", "open.browser",
        "open.platform", "open.device",
    ),
    "automated_opens": (
        "mailingId", "mailingToUserId", "mailingGroupId", "userId", "created", "open.browser",
        "open.platform",
    ),
    "unsubscribes": ("mailingId", "mailingToUserId", "mailingGroupId", "userId", "created"),
    "responses": ("mailingId", "mailingToUserId", "mailingGroupId", "userId", "created", "category"),
}
"""The eight tables in the seed's order, each with its wire header columns in order."""

DEFAULT_CHUNK_SENDS = 250_000
_WRITE_OPTIONS = pa_csv.WriteOptions(
    include_header=True, delimiter=";", quoting_style="all_valid", quoting_header="all_valid", eol="\n"
)
_DATED_NAME = re.compile(r"^(\d{8})(?:\d{6})?_")


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    rows: int


def response_file_name(day: date, table: str) -> str:
    return f"{day:%Y%m%d}_{table}.csv"


class _TableWriter:
    """One response file being written under its temporary name."""

    def __init__(self, directory: Path, day: date, table: str):
        self.plain = self.final = directory / response_file_name(day, table)
        self.temporary = directory / f".{self.final.name}.tmp"
        self.columns = RESPONSE_FILE_COLUMNS[table]
        self.rows = 0
        self._writer: pa_csv.CSVWriter | None = None

    def write(self, arrays: list[pa.Array]) -> None:
        batch = pa.RecordBatch.from_arrays(arrays, names=list(self.columns))
        if self._writer is None:
            self._writer = pa_csv.CSVWriter(str(self.temporary), batch.schema, write_options=_WRITE_OPTIONS)
        self._writer.write_batch(batch)
        self.rows += batch.num_rows

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def discard(self) -> None:
        self.temporary.unlink(missing_ok=True)

    def publish(self) -> None:
        """Rename into place; the file's other form (plain or encrypted) from an earlier write goes."""
        os.replace(self.temporary, self.final)
        for other in (self.plain, *(self.plain.with_name(self.plain.name + s) for s in ENCRYPTED_SUFFIXES)):
            if other != self.final:
                other.unlink(missing_ok=True)

    def encrypt(self, encryptor: FileEncryptor) -> None:
        """Replace the temporary file with its encrypted form, to be named `<final><suffix>`."""
        self.final = self.final.with_name(self.final.name + encryptor.suffix)
        encrypted = self.final.with_name(f".{self.final.name}.tmp")
        try:
            encryptor(self.temporary, encrypted)
        except BaseException:
            encrypted.unlink(missing_ok=True)
            raise
        self.temporary.unlink()
        self.temporary = encrypted


class FileEncryptor(Protocol):
    """Writes `plain` encrypted to `encrypted`; `suffix` (e.g. `.pgp`) is added to the file's name."""

    suffix: str

    def __call__(self, plain: Path, encrypted: Path) -> None: ...


def write_response_day(
    directory: Path,
    day: date,
    seed: int,
    scale: str | Sizes,
    client_id: int = 1000,
    chunk_sends: int = DEFAULT_CHUNK_SENDS,
    encryptor: FileEncryptor | None = None,
) -> dict[str, WrittenFile]:
    """Write one day's eight files for one client into `directory`; the same inputs give the same bytes
    (or, with `encryptor`, those bytes encrypted, as `<name>.csv<encryptor.suffix>`).

    `scale` is a name from SCALES or a Sizes (e.g. `sizes_for_total_rows(10_000_000)`). The output does
    not depend on `chunk_sends`, which only bounds memory.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    plan = DayPlan(seed, day, resolve_sizes(scale), client_id)
    writers = {table: _TableWriter(directory, day, table) for table in RESPONSE_FILE_COLUMNS}
    with ExitStack() as cleanup:
        for writer in writers.values():
            cleanup.callback(writer.discard)
            cleanup.callback(writer.close)
        writers["mailings"].write(plan.mailings())
        writers["links"].write(plan.links())
        for start in range(0, plan.sizes.sends_per_day, chunk_sends):
            chunk = plan.sends_from(start, min(start + chunk_sends, plan.sizes.sends_per_day))
            for table, arrays in send_tables(plan, chunk).items():
                writers[table].write(arrays)
        for writer in writers.values():
            writer.close()
            if encryptor is not None:
                writer.encrypt(encryptor)
        for writer in writers.values():
            writer.publish()
    return {table: WrittenFile(w.final, w.rows) for table, w in writers.items()}


def expire_old_files(directory: Path, today: date, days: int = 30) -> list[Path]:
    """Delete files named `YYYYMMDD_...` or `YYYYMMDDHHMMSS_...` dated more than `days` before `today`.

    Returns the removed paths. Other files are left alone.
    """
    removed = []
    for path in sorted(Path(directory).iterdir()):
        match = _DATED_NAME.match(path.name)
        if not match or not path.is_file():
            continue
        try:
            stamped = date(int(match[1][:4]), int(match[1][4:6]), int(match[1][6:]))
        except ValueError:
            continue
        if (today - stamped).days > days:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
