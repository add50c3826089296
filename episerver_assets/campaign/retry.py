"""Shared retry policy: exponential backoff with full jitter, a cap on attempts, Retry-After honoured.

Used by the REST client and available to the SOAP and SFTP clients. The policy only computes delays
and decides whether another attempt is allowed; the caller decides *what* is retryable, because only
the caller knows whether a failed request may already have had its effect.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait between attempts.

    `max_attempts` counts the first attempt too (3 = one try plus two retries). The n-th retry waits a
    random time in [0, min(max_delay, base_delay * 2**(n-1))] ("full jitter": spreads out clients that
    were throttled at the same moment). A server-sent Retry-After replaces the jittered delay, capped
    at `max_retry_after` so a hostile or broken proxy cannot park a run for hours.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 120.0
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("delays must not be negative")

    def may_retry(self, attempt: int) -> bool:
        """True if another attempt is allowed after attempt number `attempt` (1-based) failed."""
        return attempt < self.max_attempts

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after attempt number `attempt` (1-based) failed."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return ceiling * self.random()

    def wait(self, attempt: int, retry_after: float | None = None) -> float:
        """Sleep for `delay(attempt, retry_after)` and return the seconds slept."""
        seconds = self.delay(attempt, retry_after)
        if seconds > 0:
            self.sleep(seconds)
        return seconds


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent/invalid."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now or datetime.now(timezone.utc)
    return max((when - current).total_seconds(), 0.0)
