"""Race real processes: spawn several workers that start together at a barrier and report one outcome each."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable


def race(target: Callable, *args, processes: int = 2, timeout: float = 300) -> list:
    """Run `target(*args, start, results)` in `processes` spawned processes; each waits on the barrier
    `start` and puts its outcome in `results`. Returns the outcomes in the order they arrived."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(processes), context.Queue()
    workers = [context.Process(target=target, args=(*args, start, results)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=timeout) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    return outcomes
