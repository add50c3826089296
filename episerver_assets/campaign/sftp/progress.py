"""Progress and throughput logging for transfers, so a long download shows it is alive."""

from __future__ import annotations

import logging
import time

logger = logging.getLogger("episerver_assets.campaign.sftp")

MIB = 1024 * 1024
# Small files finish before anyone looks; only these and larger get per-step progress lines.
PROGRESS_MIN_BYTES = 16 * MIB
PROGRESS_STEP_PERCENT = 10


class TransferProgress:
    """Counts bytes of one transfer and logs each 10% step for large files, plus a summary line."""

    def __init__(self, verb: str, path: str, total: int, start: int = 0) -> None:
        self.verb = verb
        self.path = path
        self.total = total
        self.done = start
        self._counted_from = start
        self._started = time.monotonic()
        self._next_step = self._step_after(start)

    def _step_after(self, done: int) -> int:
        if self.total < PROGRESS_MIN_BYTES:
            return self.total + 1  # never reached: no step lines for small files
        step = self.total * PROGRESS_STEP_PERCENT // 100
        return (done // step + 1) * step

    def restart(self, start: int) -> None:
        """Continue counting from `start` after a reconnect (the speed counts only new bytes)."""
        self.done = start
        self._counted_from = start
        self._started = time.monotonic()
        self._next_step = self._step_after(start)

    def add(self, count: int) -> None:
        """Record `count` more bytes; log when a 10% step is crossed."""
        self.done += count
        if self.done >= self._next_step and self.done < self.total:
            logger.info(
                "SFTP %s %s: %d%% (%.1f of %.1f MiB, %.1f MB/s)",
                self.verb,
                self.path,
                self.done * 100 // self.total,
                self.done / MIB,
                self.total / MIB,
                self.megabytes_per_second(),
            )
            self._next_step = self._step_after(self.done)

    def megabytes_per_second(self) -> float:
        """Throughput (10^6 bytes per second) of the bytes moved since the last (re)start."""
        elapsed = max(time.monotonic() - self._started, 1e-9)
        return (self.done - self._counted_from) / 1e6 / elapsed

    def finish(self) -> None:
        """Log the summary line (at debug level for small files, which would only add noise)."""
        logger.log(
            logging.INFO if self.total >= PROGRESS_MIN_BYTES else logging.DEBUG,
            "SFTP %s %s: complete, %d bytes, %.1f MB/s",
            self.verb,
            self.path,
            self.done,
            self.megabytes_per_second(),
        )
