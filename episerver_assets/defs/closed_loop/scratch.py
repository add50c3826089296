"""A run's scratch directory: names for its anonymous download files, swept when the run is gone.

The downloaded bytes live in anonymous files (see spool.py), which the kernel frees when the process
dies. The reader names files by their path, though, so each gets a symlink here with the remote
file's name, pointing at `/proc/self/fd/N`. A killed run leaves only its directory of dangling links;
the next run removes every scratch directory whose owner no longer holds its lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PREFIX = "closed-loop-"
OWNER_LOCK = ".owner"
UNLOCKED_GRACE_SECONDS = 3600


def _owner_is_gone(directory: Path) -> bool:
    try:
        fd = os.open(directory / OWNER_LOCK, os.O_RDONLY)
    except FileNotFoundError:
        # Being created (the lock appears already held) or removed; or its owner died in between.
        return time.time() - directory.stat().st_mtime > UNLOCKED_GRACE_SECONDS
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def sweep_abandoned(base: Path, prefix: str = PREFIX) -> list[Path]:
    """Remove the scratch directories (named `prefix`...) under `base` whose owning process has died."""
    removed = []
    for directory in base.glob(f"{prefix}*"):
        with contextlib.suppress(FileNotFoundError):  # another run swept it first
            if directory.is_dir() and not directory.is_symlink() and _owner_is_gone(directory):
                shutil.rmtree(directory, ignore_errors=True)
                removed.append(directory)
    return removed


@contextlib.contextmanager
def run_scratch(base: str | os.PathLike[str] | None = None, prefix: str = PREFIX) -> Iterator[Path]:
    """A fresh directory (mode 0700) under `base` (the temp directory by default), locked while the
    block runs, after sweeping the directories with the same `prefix` that dead runs left behind."""
    base = Path(base or tempfile.gettempdir())
    sweep_abandoned(base, prefix)
    directory = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    # Locked before it gets its name: a sweeping run never sees our lock file unlocked.
    lock = os.open(directory / f"{OWNER_LOCK}.new", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        os.rename(directory / f"{OWNER_LOCK}.new", directory / OWNER_LOCK)
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        os.close(lock)
