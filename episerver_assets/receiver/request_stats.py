"""Counting requests for the INFO rate summary (per-request lines are DEBUG)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

log = logging.getLogger("episerver_assets.receiver")

SUMMARY_INTERVAL_SECONDS = 60.0


@dataclass
class RequestStats:
    accepted: int = 0
    events: int = 0
    refused: int = 0
    since: float = field(default_factory=time.monotonic)

    def summary_and_reset(self) -> str | None:
        now = time.monotonic()
        elapsed = max(now - self.since, 1e-9)
        line = None
        if self.accepted or self.refused:
            line = (f"{self.accepted} requests accepted ({self.accepted / elapsed:.1f}/s), "
                    f"{self.events} events ({self.events / elapsed:.1f}/s), "
                    f"{self.refused} refused in the last {elapsed:.0f} s")
        self.accepted = self.events = self.refused = 0
        self.since = now
        return line


async def log_summaries(stats: RequestStats, interval: float = SUMMARY_INTERVAL_SECONDS) -> None:
    """Runs for the app's lifetime; quiet while nothing arrives."""
    while True:
        await asyncio.sleep(interval)
        line = stats.summary_and_reset()
        if line:
            log.info(line)
