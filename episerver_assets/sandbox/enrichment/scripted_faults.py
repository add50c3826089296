"""Answers the enrichment endpoint gives instead of the real one, for tests: deterministic, in order.

`script(status, count, retry_after, email, delay)` queues `count` answers with `status` (401, 429, 500,
...; 200 is the normal answer), given after `delay` seconds; each request takes the first queued answer
that applies to it (any address, or the one named).
`PUT /enrichment/_sandbox/faults` with `{"script": [{"status": 429, "retry_after": 1}]}` does the same
over HTTP; `DELETE` clears the queue.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass
class ScriptedAnswer:
    status: int
    retry_after: float | None = None
    email: str | None = None
    delay: float = 0.0


class ScriptedFaults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[ScriptedAnswer] = []

    def script(self, status: int, count: int = 1, retry_after: float | None = None,
               email: str | None = None, delay: float = 0.0) -> None:
        if status not in range(400, 600) and status != 200 or count < 1 or delay < 0:
            raise ValueError("status must be 200, 4xx or 5xx, count at least 1 and delay not negative")
        with self._lock:
            self._queue += [ScriptedAnswer(status, retry_after, email and email.lower(), delay)
                            for _ in range(count)]

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def take(self, email: str) -> ScriptedAnswer | None:
        with self._lock:
            for index, answer in enumerate(self._queue):
                if answer.email is None or answer.email == email.lower():
                    return self._queue.pop(index)
        return None
