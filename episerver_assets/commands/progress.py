"""One line per stage of a long command: `starting the sandbox ... ok (details, 1.2 s)`."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def stage(title: str) -> Iterator[Callable[..., None]]:
    """Prints `title ...` at once and the outcome when the block ends; call the yielded function with
    the details (and `ok=False` for a failure) before that, or the line ends with a bare `ok`."""
    print(f"{title} ...", end=" ", flush=True)
    started = time.monotonic()
    ended = False

    def done(details: str = "", ok: bool = True) -> None:
        nonlocal ended
        ended = True
        seconds = f"{time.monotonic() - started:.1f} s"
        print(f"{'ok' if ok else 'failed'} ({', '.join(filter(None, [details, seconds]))})", flush=True)

    try:
        yield done
    except BaseException:
        if not ended:
            print("failed", flush=True)
        raise
    if not ended:
        done()
