"""The closed-loop import module: uploaded `YYYYMMDDHHMMSS_subscribers.csv` files into recipient lists.

One SubscriberImporter per client and upload directory (sftp_server.closed_loop_directories), every
`interval_seconds` (600 on the real service) once started, or whenever `process_pending()` is called:

- Only files named exactly `YYYYMMDDHHMMSS_subscribers.csv` are read. Anything else (a transfer still
  under a temporary name such as `.part` or `.tmp`) is ignored until it is renamed.
- Columns (seed 004): `Email;broadmail_ID;WAVE_ID;Salutation;First name;Last name`, in this order,
  then optional personalisation columns. `;` separated, fields in double quotes, quotes doubled,
  UTF-8, the same number of fields on every line. Empty fields are stored as empty (None).
- `broadmail_ID` names a source mailing; the sandbox maps it to the recipient list that mailing sends
  to. By default these are the generator's source mailings, one per generated list: list
  `580CCCCCLLL` (CCCCC = client id modulo 100000, LLL = list index) has source mailing `440CCCCCLLL`,
  e.g. broadmail_ID 44001000000 -> list 58001000000 for client 1000 (generator.source_mailings).
  Each row is added to that list with recipient id = Email; Email, Salutation, First name and Last
  name become the list fields email, salutation, firstname, lastname; optional columns whose name
  matches a list field (case-insensitively) fill it, others are ignored and named in the log. A
  recipient already in the list is updated. Suppressed or invalid addresses are counted, not added.
- A file is checked completely before anything is imported: one malformed line fails the whole file
  and imports nothing.

Results, relative to the client's upload directory:
- `processed/<name>`: the file after a successful import.
- `error/<name>` and `error/<name>.error`: a failed file, and one line `<name>: line <n>: <reason>`.
- `log/<name>.log`: for every file, `key: value` lines: file, client, status (processed or
  failed), processed_at, rows, added, updated, invalid_address, unsubscribed, blocklisted,
  too_many_bounces, ignored_columns, and error on failure. Logs older than 30 days are deleted.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .generator import source_mailings
from .pgp_files import SandboxPgp, decrypted_upload
from .state import AddOutcome, ClientState
from .subscriber_file import MalformedFile, SubscriberRow, parse_subscriber_file

SUBSCRIBER_FILE_NAME = re.compile(r"^\d{14}_subscribers\.csv$")
PROCESSED_DIR, ERROR_DIR, LOG_DIR = "processed", "error", "log"
DEFAULT_INTERVAL_SECONDS = 600.0
LOG_RETENTION_DAYS = 30
OUTCOMES = ("added", "updated", "invalid_address", "unsubscribed", "blocklisted", "too_many_bounces")

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportResult:
    client_id: int
    file_name: str
    status: str  # "processed" or "failed"
    rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    ignored_columns: tuple[str, ...] = ()
    error: str | None = None


class SubscriberImporter:
    """Imports the subscriber files uploaded to one client's upload directory into its state."""

    def __init__(
        self,
        client: ClientState,
        upload_dir: Path,
        source_mailings: Mapping[int, int] | None = None,
        interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
        pgp: SandboxPgp | None = None,
    ):
        """`source_mailings` maps broadmail_ID -> list id; None means the generator's source
        mailings of the client's generated lists (generator.source_mailings). A PGP-encrypted file
        is decrypted with `pgp.private_key` (see pgp_files)."""
        self._client = client
        self._upload_dir = Path(upload_dir)
        self._source_mailings = source_mailings
        self._interval = interval_seconds
        self._pgp = pgp
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._pass_lock = threading.Lock()
        self._passes = 0
        self._pass_done = threading.Condition()

    def process_pending(self) -> list[ImportResult]:
        """Import every complete upload now; returns one result per file, in name order."""
        with self._pass_lock:
            results = []
            if self._upload_dir.is_dir():
                for path in sorted(self._upload_dir.iterdir()):
                    if SUBSCRIBER_FILE_NAME.match(path.name) and path.is_file():
                        result = self._process(path)
                        results.extend([result] if result else [])
            _expire_logs(self._upload_dir / LOG_DIR)
        with self._pass_done:
            self._passes += 1
            self._pass_done.notify_all()
        return results

    @property
    def completed_passes(self) -> int:
        with self._pass_done:
            return self._passes

    def wait_for_passes(self, count: int, timeout: float) -> bool:
        """Block until `count` passes (background or direct) have completed; False on timeout."""
        with self._pass_done:
            return self._pass_done.wait_for(lambda: self._passes >= count, timeout)

    def start(self) -> SubscriberImporter:
        """Process pending files every `interval_seconds` on a background thread."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="sandbox-subscriber-import", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self.process_pending()
            except Exception:  # keep the service alive, as the real cron job would
                _log.exception("subscriber import pass failed")

    def _known_source_mailings(self) -> dict[int, int]:
        if self._source_mailings is None:
            return source_mailings(self._client)
        with self._client.lock:
            lists = self._client.lists
            return {mailing: list_id for mailing, list_id in self._source_mailings.items() if list_id in lists}

    def _process(self, path: Path) -> ImportResult | None:
        """Import one file; None when it vanished before it could be read."""
        client_id = self._client.account.client_id
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            plain = decrypted_upload(data, self._pgp)
            rows, extra_columns = parse_subscriber_file(plain, self._known_source_mailings())
            counts, ignored = _import_rows(self._client, rows, extra_columns)
            result = ImportResult(client_id, path.name, "processed", len(rows), counts, ignored)
            _move(path, path.parent / PROCESSED_DIR)
        except MalformedFile as malformed:
            result = ImportResult(client_id, path.name, "failed", error=str(malformed))
            errors = path.parent / ERROR_DIR
            _move(path, errors)
            (errors / f"{path.name}.error").write_text(f"{path.name}: {malformed}\n", encoding="utf-8")
        _write_log(path.parent / LOG_DIR / f"{path.name}.log", result)
        return result


def _import_rows(
    client: ClientState, rows: list[SubscriberRow], extra_columns: tuple[str, ...]
) -> tuple[dict[str, int], tuple[str, ...]]:
    counts = dict.fromkeys(OUTCOMES, 0)
    ignored: set[str] = set()
    for row in rows:
        with client.lock:
            fields = {name.lower(): name for name in client.lists[row.list_id].attribute_names}
        attributes = {
            fields[name.lower()]: value for name, value in row.attributes.items() if name.lower() in fields
        }
        ignored.update(c for c in extra_columns if c.lower() not in fields)
        outcome = client.add_recipient(row.list_id, row.recipient_id, attributes)
        if outcome == AddOutcome.ALREADY_IN_LIST:
            client.update_recipient(row.list_id, row.recipient_id, attributes)
            counts["updated"] += 1
        else:
            counts[outcome.name.lower()] += 1
    return counts, tuple(sorted(ignored))


def _move(path: Path, directory: Path) -> None:
    directory.mkdir(exist_ok=True)
    os.replace(path, directory / path.name)


def _write_log(path: Path, result: ImportResult) -> None:
    path.parent.mkdir(exist_ok=True)
    lines = [
        f"file: {result.file_name}",
        f"client: {result.client_id}",
        f"status: {result.status}",
        f"processed_at: {datetime.now():%Y-%m-%d %H:%M:%S}",
        f"rows: {result.rows}",
        *(f"{outcome}: {result.counts.get(outcome, 0)}" for outcome in OUTCOMES),
        f"ignored_columns: {', '.join(result.ignored_columns)}",
    ]
    if result.error:
        lines.append(f"error: {result.error}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _expire_logs(directory: Path, days: int = LOG_RETENTION_DAYS) -> None:
    if not directory.is_dir():
        return
    cutoff = time.time() - days * 86_400
    for path in directory.glob("*.log"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
