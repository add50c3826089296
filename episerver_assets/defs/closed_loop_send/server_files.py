"""What the closed-loop server shows about one upload: where the file is, and the import's outcome.

The server (seed 004; the sandbox's `subscriber_import` models it) imports `<upload>/<name>` and
leaves `processed/<name>`, or `error/<name>` and `error/<name>.error`, and `log/<name>.log` with
`key: value` lines (status, rows, added, updated, ...). The log is written last.
"""

from __future__ import annotations

import io
import posixpath
import time
from dataclasses import dataclass, field

from ...campaign.errors import CampaignSftpError, mask_addresses
from ...campaign.sftp import SftpSession, temporary_name

MAX_SERVER_FILE_BYTES = 1 << 20
"""Logs and error files are a few lines; anything larger is not one of them."""


def log_path(upload_dir: str, name: str) -> str:
    return posixpath.join(upload_dir, "log", f"{name}.log")


def error_path(upload_dir: str, name: str) -> str:
    return posixpath.join(upload_dir, "error", f"{name}.error")


def delivered_paths(upload_dir: str, name: str) -> tuple[str, ...]:
    """Where the file is once it was uploaded under its final name: waiting, imported, failed, logged."""
    return (
        posixpath.join(upload_dir, name),
        posixpath.join(upload_dir, "processed", name),
        posixpath.join(upload_dir, "error", name),
        log_path(upload_dir, name),
    )


def was_delivered(session: SftpSession, upload_dir: str, name: str) -> bool:
    return any(session.find(path) is not None for path in delivered_paths(upload_dir, name))


def name_in_use(session: SftpSession, upload_dir: str, name: str) -> bool:
    """True if any upload, ours or another system's, finished or running, carries this name."""
    running = posixpath.join(upload_dir, temporary_name(name))
    return session.find(running) is not None or was_delivered(session, upload_dir, name)


@dataclass(frozen=True)
class ImportOutcome:
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    ignored_columns: str = ""
    error: str | None = None
    """The error file's text (else the log's error line), e-mail addresses masked."""


def read_small_file(session: SftpSession, path: str) -> str:
    remote = session.stat(path)
    if remote.size > MAX_SERVER_FILE_BYTES:
        raise CampaignSftpError("download", path, f"{remote.size} bytes, more than the {MAX_SERVER_FILE_BYTES} allowed")
    buffer = io.BytesIO()
    session.download_to(path, buffer)
    return buffer.getvalue().decode("utf-8", errors="replace")


def parse_log(text: str) -> ImportOutcome:
    values = dict(line.partition(": ")[::2] for line in text.splitlines() if ": " in line)
    counts = {key: int(value) for key, value in values.items() if value.strip().isdigit() and key != "client"}
    error = values.get("error") or None
    return ImportOutcome(
        status=values.get("status", "unknown").strip(),
        counts=counts,
        ignored_columns=values.get("ignored_columns", "").strip(),
        error=mask_addresses(error) if error else None,
    )


def wait_for_outcome(
    session: SftpSession, upload_dir: str, name: str, timeout_seconds: float, poll_seconds: float
) -> ImportOutcome:
    """Poll for the log (or an error file) until `timeout_seconds`; TimeoutError when neither came."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        if session.find(log_path(upload_dir, name)) is not None:
            outcome = parse_log(read_small_file(session, log_path(upload_dir, name)))
            if outcome.status == "processed":
                return outcome
            return _failed(session, upload_dir, name, outcome)
        error_file = session.find(error_path(upload_dir, name))
        if error_file is not None and error_file.size > 0:
            return _failed(session, upload_dir, name, ImportOutcome(status="failed"))
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"the server left no log or error file for {name} within {timeout_seconds:g} s")
        time.sleep(min(poll_seconds, remaining))


def _failed(session: SftpSession, upload_dir: str, name: str, logged: ImportOutcome) -> ImportOutcome:
    path = error_path(upload_dir, name)
    text = read_small_file(session, path).strip() if session.find(path) is not None else None
    error = mask_addresses(text) if text else logged.error or f"status {logged.status} without an error file"
    return ImportOutcome("failed", logged.counts, logged.ignored_columns, error)
