"""Counter-based randomness: every value is a pure function of (seed, stream, key).

A sequential random generator would tie a row's value to how many rows came before it, so a chunk
could not be computed without the chunks before it. Hashing (seed, stream, key) with SplitMix64
lets any slice of any day be computed on its own, vectorised, and always the same.
"""

from __future__ import annotations

import numpy as np

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB


def _splitmix_int(x: int) -> int:
    x = (x + _GOLDEN) & _MASK
    x = ((x ^ (x >> 30)) * _MIX1) & _MASK
    x = ((x ^ (x >> 27)) * _MIX2) & _MASK
    return x ^ (x >> 31)


def stream_key(seed: int, *parts: int) -> int:
    """Fold a seed and the parts naming one stream (kind of value, day, ...) into one 64-bit key."""
    key = _splitmix_int(seed & _MASK)
    for part in parts:
        key = _splitmix_int(key ^ (part & _MASK))
    return key


def hash64(key: int, counters: np.ndarray) -> np.ndarray:
    """SplitMix64 of key + counter for every counter; uint64 arithmetic wraps as intended."""
    x = counters.astype(np.uint64) + np.uint64((key + _GOLDEN) & _MASK)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(_MIX1)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(_MIX2)
    return x ^ (x >> np.uint64(31))


def uniform(key: int, counters: np.ndarray) -> np.ndarray:
    """Floats in [0, 1), 53 bits each."""
    return (hash64(key, counters) >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def below(key: int, counters: np.ndarray, bound: int | np.ndarray) -> np.ndarray:
    """Integers in [0, bound); the modulo bias of a 64-bit hash is far below anything a test sees."""
    return (hash64(key, counters) % np.asarray(bound, dtype=np.uint64)).astype(np.int64)
