"""The fault switch: how often the sandbox's Campaign endpoints misbehave, changeable at run time.

Clients must survive what the real service and the networks in between do: 429 throttling, 500
errors, slow answers and connections that die before a response. The switch draws one fault (or
none) per request from a seeded random generator, so a test that sets a seed sees the same
sequence every run.
"""

from __future__ import annotations

import enum
import random
import threading
from dataclasses import dataclass, field, fields


class Fault(enum.Enum):
    TOO_MANY_REQUESTS = "429"
    SERVER_ERROR = "500"
    SLOW = "slow"
    DROP = "drop"


@dataclass
class FaultSwitch:
    """Rates (0..1, summing to at most 1) of each fault per request, and the slow delay in seconds.

    Change it through `configure()` (thread-safe, validates, restarts the random sequence) while the
    server runs; the admin endpoint `PUT /rest/_sandbox/faults` does the same over HTTP.
    """

    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_slow: float = 0.0
    rate_drop: float = 0.0
    slow_seconds: float = 1.0
    seed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    _random: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _validate(self.settings())
        self._random = random.Random(self.seed)

    def settings(self) -> dict[str, float | int]:
        """The public settings, as the admin endpoint shows them."""
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}

    def configure(self, **settings: float | int) -> None:
        """Set some settings (others keep their values) and restart the random sequence from `seed`."""
        unknown = set(settings) - set(self.settings())
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        with self._lock:
            merged = {**self.settings(), **settings}
            _validate(merged)
            for name, value in merged.items():
                setattr(self, name, value if name == "seed" else float(value))
            self._random = random.Random(self.seed)

    def reset(self) -> None:
        """Back to no faults at all."""
        defaults = {f.name: f.default for f in fields(self) if not f.name.startswith("_")}
        self.configure(**defaults)

    def draw(self) -> Fault | None:
        """The fault for the next request, or None to serve it normally."""
        with self._lock:
            roll = self._random.random()
            for fault, rate in (
                (Fault.TOO_MANY_REQUESTS, self.rate_429),
                (Fault.SERVER_ERROR, self.rate_500),
                (Fault.SLOW, self.rate_slow),
                (Fault.DROP, self.rate_drop),
            ):
                if roll < rate:
                    return fault
                roll -= rate
            return None


def _validate(settings: dict[str, float | int]) -> None:
    rates = {k: v for k, v in settings.items() if k.startswith("rate_")}
    for name, value in settings.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{name} must be a number, got {value!r}")
    if any(not 0 <= rate <= 1 for rate in rates.values()) or sum(rates.values()) > 1:
        raise ValueError(f"fault rates must lie in 0..1 and sum to at most 1: {rates}")
    if settings["slow_seconds"] < 0:
        raise ValueError("slow_seconds must not be negative")
    if not isinstance(settings["seed"], int):
        raise ValueError("seed must be an integer")
