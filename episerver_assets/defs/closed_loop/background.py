"""Run an iterator on its own thread, a bounded number of items ahead of its consumer."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

_END = object()


def in_background(items: Iterator[T], depth: int, name: str) -> Iterator[T]:
    """`items`, produced on a thread up to `depth` ahead; its exception is raised in the consumer.
    Closing the result (or leaving it early) stops the producer at its next item."""
    produced: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        with contextlib.closing(items) if hasattr(items, "close") else contextlib.nullcontext():
            try:
                for item in items:
                    produced.put((item, None))
                    if stop.is_set():
                        return
                produced.put((_END, None))
            except BaseException as error:  # noqa: BLE001 - raised in the consumer
                produced.put((_END, error))

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item, error = produced.get()
            if item is _END:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # drain, so that a producer blocked on put() sees `stop`
            with contextlib.suppress(queue.Empty):
                produced.get(timeout=0.05)
        thread.join()
