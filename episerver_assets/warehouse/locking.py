"""DuckDB allows one writing process per file: wait briefly instead of failing at once."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa

log = logging.getLogger(__name__)
T = TypeVar("T")


def _is_lock_conflict(error: BaseException) -> bool:
    text = str(error)
    return "Could not set lock on file" in text or "Conflicting lock is held" in text


def retry_on_embedded_lock(operation: Callable[[], T], timeout_seconds: float) -> T:
    """Run `operation`, retrying with jittered backoff while another process holds the DuckDB file lock."""
    deadline = time.monotonic() + timeout_seconds
    delay = 0.02
    pause = threading.Event()
    while True:
        try:
            return operation()
        except (sa.exc.OperationalError, sa.exc.DBAPIError, OSError) as error:
            if not _is_lock_conflict(error) or time.monotonic() >= deadline:
                raise
            log.info("embedded warehouse is locked by another process, retrying in %.2fs", delay)
            pause.wait(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)
