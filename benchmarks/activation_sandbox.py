"""Shared by the activation benchmarks (`export_backfill.py`, `crm_refresh_soap.py`).

The sandbox's REST and SOAP apps run in a child process (no GIL shared with the product under test)
over one in-memory state. The parent drives it over a pipe: create an empty list with given fields,
ask a list's size and a digest of its sorted (recipient id, field value) pairs, drop a list to free
its memory. Also: a stopwatch that wraps product functions to split a run's time, the reference
senders' thread sweep, peak RSS and the load average.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import resource
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager

CLIENT_ID, USER, PASSWORD = 1000, "sandbox-api", "sandbox-secret"


def digest(pairs: Iterable[tuple[str, str | None]]) -> tuple[int, str]:
    """(count, sha256) of the sorted `id<TAB>value` lines: equal digests mean no recipient lost,
    duplicated or carrying another value."""
    lines = sorted(f"{rid}\t{value or ''}" for rid, value in pairs)
    sha = hashlib.sha256()
    for line in lines:
        sha.update(line.encode())
        sha.update(b"\n")
    return len(lines), sha.hexdigest()


def _serve(connection, ready) -> None:
    """Child process: REST at /rest, SOAP at /soap11; answers commands until told to stop."""
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from episerver_assets.sandbox.faults import FaultSwitch
    from episerver_assets.sandbox.http import BackgroundHttpServer
    from episerver_assets.sandbox.rest_app import build_rest_app
    from episerver_assets.sandbox.soap_app import build_soap_app
    from episerver_assets.sandbox.state import ClientAccount, ListField, RecipientList, SandboxState

    state = SandboxState([ClientAccount(CLIENT_ID, USER, PASSWORD)])
    campaign = state.client(CLIENT_ID)
    app = Starlette(routes=[Mount("/rest", app=build_rest_app(state, FaultSwitch())),
                            Mount("/soap11", app=build_soap_app(state))])
    with BackgroundHttpServer(app) as server:
        ready.send(server.port)
        while True:
            command, *args = connection.recv()
            if command == "stop":
                break
            with campaign.lock:
                if command == "create":
                    list_id, fields = args
                    campaign.lists[list_id] = RecipientList(
                        list_id, f"Benchmark {list_id}", "", [ListField(f, required=f == "email") for f in fields])
                    connection.send(None)
                elif command == "digest":
                    list_id, field = args
                    recipients = campaign.lists[list_id].recipients
                    connection.send(digest((rid, r.attributes.get(field)) for rid, r in recipients.items()))
                elif command == "drop":
                    del campaign.lists[args[0]]
                    connection.send(None)
    connection.close()


class ChildSandbox:
    """`with ChildSandbox() as sandbox:` the sandbox in a child process; rest_url and soap_url."""

    def __enter__(self) -> ChildSandbox:
        self._pipe, child_end = multiprocessing.Pipe()
        ready, ready_child = multiprocessing.Pipe(duplex=False)
        self._process = multiprocessing.Process(target=_serve, args=(child_end, ready_child), daemon=True)
        self._process.start()
        if not ready.poll(60):
            raise RuntimeError("the sandbox child process did not start within 60 s")
        base = f"http://127.0.0.1:{ready.recv()}"
        self.rest_url, self.soap_url = f"{base}/rest", f"{base}/soap11"
        return self

    def _ask(self, *command):
        self._pipe.send(command)
        if not self._pipe.poll(600):
            raise RuntimeError(f"the sandbox did not answer {command[0]} within 600 s")
        return self._pipe.recv()

    def create_list(self, list_id: int, fields: Sequence[str]) -> None:
        self._ask("create", list_id, list(fields))

    def digest(self, list_id: int, field: str) -> tuple[int, str]:
        return self._ask("digest", list_id, field)

    def drop_list(self, list_id: int) -> None:
        self._ask("drop", list_id)

    def check_list(self, list_id: int, field: str, want: tuple[int, str], label: str) -> str:
        """A line saying the list holds exactly the expected (id, `field`) pairs; exits naming the gap if not."""
        got = self.digest(list_id, field)
        if got != want:
            raise SystemExit(f"{label}: list {list_id} holds {got[0]:,} recipients (digest {got[1][:12]}), expected "
                             f"{want[0]:,} (digest {want[1][:12]}): recipients lost, duplicated or wrong")
        return f"{label}: list holds exactly the {got[0]:,} expected recipients (digest {got[1][:12]})"

    def __exit__(self, *exc) -> None:
        self._pipe.send(("stop",))
        self._process.join(15)
        if self._process.is_alive():
            self._process.terminate()


class Stopwatch:
    """Seconds and calls per label, summed over threads, of functions wrapped in place."""

    def __init__(self, *targets: tuple[object, str, str]) -> None:
        """`targets`: (owner, attribute name, label) of each function to time."""
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.durations: dict[str, list[float]] = defaultdict(list)
        self._lock = threading.Lock()
        self._undo: list[tuple[object, str, object]] = []
        for owner, name, label in targets:
            self.wrap(owner, name, label)

    def wrap(self, owner: object, name: str, label: str | None = None) -> None:
        original, label = getattr(owner, name), label or name

        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - began
                with self._lock:
                    self.seconds[label] += elapsed
                    self.calls[label] += 1
                    self.durations[label].append(elapsed)

        self._undo.append((owner, name, original))
        setattr(owner, name, timed)

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()
        self.durations.clear()

    def trend(self, label: str) -> str:
        """Mean milliseconds per call over the first and the last tenth of the calls: growth shows
        a cost that rises with what earlier calls stored."""
        durations = self.durations[label]
        tenth = max(len(durations) // 10, 1)
        first, last = durations[:tenth], durations[-tenth:]
        return (f"{label}: first {len(first)} calls {sum(first) / len(first) * 1e3:.0f} ms each, "
                f"last {len(last)} {sum(last) / len(last) * 1e3:.0f} ms each")

    def restore(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()

    def summary(self) -> str:
        return ", ".join(f"{label} {self.seconds[label]:.2f} s / {self.calls[label]} calls" for label in self.seconds)


def send_all(requests: Sequence[object], threads: int, send: Callable[[object], None]) -> float:
    """Seconds to `send` every request from `threads` threads taking the next one in order."""
    position = iter(range(len(requests)))
    lock, errors = threading.Lock(), []

    def worker() -> None:
        while True:
            with lock:
                index = next(position, None)
            if index is None or errors:
                return
            try:
                send(requests[index])
            except BaseException as error:  # reported after the join
                errors.append(error)
                return

    began = time.perf_counter()
    workers = [threading.Thread(target=worker, name=f"reference-{i}") for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - began


@contextmanager
def timed_block(into: dict, label: str):
    began = time.perf_counter()
    yield
    into[label] = time.perf_counter() - began


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg()) + f" on {os.cpu_count()} cores"
