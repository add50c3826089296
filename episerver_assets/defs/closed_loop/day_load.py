"""Load days of response files, each table-day on its own: whatever goes wrong with one file
(missing, invalid, a transfer or database failure) is reported for that file, and the others load.

`load_days` is the product's whole path for a run (listing, overlapped download, validation and
load, ledger); the asset turns its outcomes into Dagster events, and benchmarks call it directly.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from ...campaign.errors import CampaignError
from ...campaign.sftp import CampaignSftpResource, RemoteFile
from ...pgp import Keyring, PgpError
from ...warehouse import WarehouseResource
from .decryption import run_keyring
from .ledger import loaded_files
from .loading import LoadedFile, load_response_file
from .personal_data import failures_markdown, failures_text, masked_text
from .prefetch import Prefetcher
from .reader import ResponseFileError
from .schemas import RESPONSE_TABLES, ResponseTable, parse_file_name
from .scratch import run_scratch
from .warehouse_tables import warehouse_table

log = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 300


@dataclass(frozen=True)
class Problem:
    """A table-day that did not load: its file is missing (`file` None), invalid or failed."""

    day: dt.date
    table: ResponseTable
    file: str | None
    reason: str
    error: ResponseFileError | None = None

    @property
    def summary(self) -> str:
        return f"{self.day} {self.table.name}: {self.reason}"

    def markdown(self) -> str:
        detail = failures_markdown(self.error, self.table) if self.error is not None else ""
        return f"**{self.summary}**" + (f"\n\n{detail}" if detail else "")

    def log_text(self) -> str:
        return failures_text(self.error, self.table) if self.error is not None else self.summary


TableDay = LoadedFile | Problem


def describe_failure(error: BaseException) -> str:
    """Type and first line of the message, without SQL parameters or e-mail addresses."""
    if isinstance(error, sa.exc.StatementError) and error.orig is not None:
        error = error.orig  # SQLAlchemy's own text adds the statement and its parameters
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else ""
    if not isinstance(error, CampaignError):  # Campaign errors name their operation themselves
        text = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return masked_text(text)[:MAX_MESSAGE_CHARS]


def _load_one(warehouse: WarehouseResource, table: ResponseTable, day: dt.date, spool,
              keyring: Keyring | None) -> TableDay:
    name = spool.remote.name
    try:
        return load_response_file(warehouse, table, day, spool, keyring)
    except ResponseFileError as error:
        return Problem(day, table, name, f"{name} is invalid", error)
    except PgpError as error:
        return Problem(day, table, name, f"{name} could not be decrypted: {error}")
    except Exception as error:  # one file's failure must not stop the others
        log.debug("loading %s failed", name, exc_info=True)
        return Problem(day, table, name, f"{name} could not be loaded ({describe_failure(error)})")


def _files_by_table_day(listing: Sequence[RemoteFile]) -> dict[tuple[dt.date, str], RemoteFile]:
    files = {}
    for remote in listing:
        parsed = parse_file_name(remote.name)
        if parsed is not None:
            files.setdefault((parsed[0], parsed[1].name), remote)  # .csv sorts before .csv.gz
    return files


def load_days(
    sftp: CampaignSftpResource,
    warehouse: WarehouseResource,
    days: Sequence[dt.date],
    tables: Sequence[ResponseTable] = tuple(RESPONSE_TABLES.values()),
) -> Iterator[TableDay]:
    """One outcome per (day, table), days in order and the tables of a day in dependency order,
    each yielded once its transaction has committed (or failed). Files download a few ahead of the
    one loading; a killed run leaves no downloaded bytes behind."""
    with warehouse.session(), run_scratch() as scratch:
        warehouse.ensure_table(*(warehouse_table(t) for t in RESPONSE_TABLES.values()), loaded_files)
        with sftp.open_session() as session:
            files = _files_by_table_day(session.list(sftp.response_dir, "*.csv*"))
        plan = [(day, table, files.get((day, table.name))) for day in days for table in tables]
        planned = [remote for _, _, remote in plan if remote is not None]
        prefetched = iter(Prefetcher(sftp, planned, scratch))
        with run_keyring(sftp.pgp_keys(), planned) as keyring, contextlib.closing(prefetched):
            for day, table, remote in plan:
                if remote is None:
                    reason = f"{table.file_name(day)} is not on the server (expired after 30 days, or not delivered)"
                    yield Problem(day, table, None, reason)
                else:
                    yield _load_one(warehouse, table, day, next(prefetched), keyring)
