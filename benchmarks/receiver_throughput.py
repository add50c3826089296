"""Webhook receiver throughput with `wrk` on loopback: the product against a minimal reference, same run.

    apt-get install -y wrk
    .venv/bin/python benchmarks/receiver_throughput.py [--seconds 10] [--rounds 2] [--connections 32] [--array 100]

Starts the reference (`receiver_reference.py`: Starlette + uvicorn that only authenticates, parses
the JSON and appends the body to SQLite in WAL mode with `synchronous=FULL` and grouped commits) and
the product (`episerver-assets webhook-receiver`, landing in SQLite), each in its own process with a
fresh store. They take turns under `wrk -t1` with keep-alive connections, first with a single-event
body, then with arrays of `--array` events, each run after a short warm-up; the best of `--rounds`
runs counts (other programs on the machine only ever slow a run down). wrk is native, so the load
generator takes little of the two cores from the receiver. Prints requests/s, p99 latency and
events/s per case and the product/reference ratios against the targets (>= 80% of the reference's
single-event requests/s with p99 < 25 ms; >= 200,000 events/s in arrays of 100). Afterwards it
checks that each store holds at least the requests wrk saw answered with 2xx, and measures the
landing store alone with synchronous=FULL and NORMAL, to show what FULL's durability costs here.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from receiver_wrk import Measured, cpu_seconds, run_wrk  # this script's directory is on sys.path

ROOT = Path(__file__).resolve().parents[1]
USER, SECRET = "campaign-webhook", "benchmark-secret"  # as in receiver_reference.py
AUTHORIZATION = "Basic " + base64.b64encode(f"{USER}:{SECRET}".encode()).decode()
EVENT = {"type": "CLICK", "recipientId": 1234567, "mailingId": 987654, "userListId": 77, "clientId": 1000,
         "timestamp": 1764400000000, "link": "https://shop.example.com/offers?utm_source=campaign",
         "mediaTypesToAddresses": {"EMAIL": "someone@example.com"}}
START_DEADLINE_SECONDS = 30
WARM_UP_SECONDS = 2
TARGET_RATIO, TARGET_P99_MS, TARGET_ARRAY_EVENTS = 0.80, 25.0, 200_000
COMMIT_GROUP, STORE_SECONDS = 16, 2  # a typical group under this load (instrumented: 13 to 20 requests)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(process: subprocess.Popen, url: str) -> None:
    """Polls a real condition (an unauthenticated POST gets its 401) until a deadline."""
    deadline = time.monotonic() + START_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the receiver at {url} exited during startup")
        try:
            if httpx.post(url, content=b"{}", timeout=2).status_code == 401:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"the receiver at {url} did not answer within {START_DEADLINE_SECONDS} s")


@contextlib.contextmanager
def running(name: str, command: list[str], env: dict, port: int, work: Path) -> Iterator[tuple[str, int]]:
    url = f"http://127.0.0.1:{port}/events"
    with open(work / f"{name}.log", "wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log, cwd=ROOT)
        try:
            wait_until_answering(process, url)
            yield url, process.pid
        finally:
            process.terminate()
            process.wait(timeout=30)


def measure(servers: dict[str, tuple[str, int]], args, work: Path) -> dict[str, dict[str, Measured]]:
    """Per server and case the best of --rounds runs, reference and product taking turns so that the
    load other programs put on the machine hits both alike."""
    bodies = {"single": (json.dumps(EVENT).encode(), 1), "array": (json.dumps([EVENT] * args.array).encode(), args.array)}
    best: dict[str, dict[str, Measured]] = {name: {} for name in servers}
    for case, (body, events) in bodies.items():
        for _ in range(args.rounds):
            for name, (url, pid) in servers.items():
                run_wrk(url, AUTHORIZATION, body, events, WARM_UP_SECONDS, args.connections, work)
                cpu_before = cpu_seconds(pid)
                result = run_wrk(url, AUTHORIZATION, body, events, args.seconds, args.connections, work)
                result.cpu_seconds = cpu_seconds(pid) - cpu_before
                print(f"  {name:<9} {case:<6} {result.requests_per_second:>9,.0f} requests/s, p99 {result.p99_ms:.1f} ms")
                if case not in best[name] or result.requests_per_second > best[name][case].requests_per_second:
                    best[name][case] = result
    return best


def check_stored(name: str, store: Path, results: dict[str, Measured]) -> None:
    answered = sum(result.requests - result.failed for result in results.values())
    stored = stored_requests(store)
    print(f"{name}: {stored:,} requests stored (all runs), wrk saw {answered:,} answered in the best runs")
    if stored < answered:
        raise SystemExit(f"{name} stored fewer requests than wrk saw answered")


def stored_requests(store: Path) -> int:
    with sqlite3.connect(store) as connection:
        table = "landed" if "reference" in store.name else "landed_requests"
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def store_commit_rates(work: Path, array: int) -> None:
    """The landing store alone: grouped commits of 16 requests in WAL mode, synchronous FULL vs NORMAL.
    Shows what the durability of FULL (the WAL fsynced at every commit) costs on this disk."""
    print(f"\nSQLite WAL, grouped commits of {COMMIT_GROUP} requests, {STORE_SECONDS} s each:")
    for events in (1, array):
        body = json.dumps([EVENT] * events if events > 1 else EVENT).encode()
        for sync in ("FULL", "NORMAL"):
            store = work / f"store-{sync}-{events}.sqlite3"
            connection = sqlite3.connect(store, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(f"PRAGMA synchronous={sync}")
            connection.execute("CREATE TABLE landed (id INTEGER PRIMARY KEY, body BLOB)")
            started, requests = time.perf_counter(), 0
            while time.perf_counter() - started < STORE_SECONDS:
                connection.execute("BEGIN")
                connection.executemany("INSERT INTO landed (body) VALUES (?)", [(body,)] * COMMIT_GROUP)
                connection.execute("COMMIT")
                requests += COMMIT_GROUP
            connection.close()
            rate = requests / (time.perf_counter() - started)
            print(f"  synchronous={sync:<6} {len(body):>6}-byte bodies: {rate:>9,.0f} requests/s = {rate * events:>11,.0f} events/s")


def report(reference: dict, product: dict, args) -> bool:
    print(f"\nwrk -t1 -c{args.connections} -d{args.seconds}s, keep-alive, loopback; SQLite WAL synchronous=FULL")
    print(f"{'case':<24}{'requests/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'events/s':>12}{'events/cpu-s':>14}"
          f"{'non-2xx':>9}")
    for name, results in (("reference", reference), ("product", product)):
        for case, result in results.items():
            label = f"{name} {case}" + (f" x{args.array}" if case == "array" else "")
            print(f"{label:<24}{result.requests_per_second:>12,.0f}{result.p50_ms:>9.1f}{result.p99_ms:>9.1f}"
                  f"{result.events_per_second:>12,.0f}{result.events_per_cpu_second:>14,.0f}{result.failed:>9}")
    single_ratio = product["single"].requests_per_second / reference["single"].requests_per_second
    array_ratio = product["array"].events_per_second / reference["array"].events_per_second
    checks = [
        (f"product/reference single-event requests/s = {single_ratio:.2f} (target >= {TARGET_RATIO:.2f})",
         single_ratio >= TARGET_RATIO),
        (f"product single-event p99 = {product['single'].p99_ms:.1f} ms (target < {TARGET_P99_MS:.0f} ms)",
         product["single"].p99_ms < TARGET_P99_MS),
        (f"product events/s in arrays of {args.array} = {product['array'].events_per_second:,.0f} "
         f"(target >= {TARGET_ARRAY_EVENTS:,}; reference ratio {array_ratio:.2f})",
         product["array"].events_per_second >= TARGET_ARRAY_EVENTS),
        ("no non-2xx answers", all(r.failed == 0 for results in (reference, product) for r in results.values())),
    ]
    print()
    for text, met in checks:
        print(("MET    " if met else "MISSED ") + text)
    return all(met for _, met in checks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--array", type=int, default=100, help="events per request in the array case")
    parser.add_argument("--rounds", type=int, default=2, help="runs per server and case; the best is reported")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    with tempfile.TemporaryDirectory(prefix="receiver-bench-") as work:
        work = Path(work)
        reference_port, product_port = free_port(), free_port()
        stores = {"reference": work / "reference.sqlite3", "product": work / "product" / "landing.sqlite3"}
        reference_command = [sys.executable, str(ROOT / "benchmarks" / "receiver_reference.py"),
                             "--port", str(reference_port), "--store", str(stores["reference"])]
        product_env = {**os.environ, "EPISERVER_DATA_DIR": str(work / "data"), "EPISERVER_RECEIVER_AUTH": "basic",
                       "EPISERVER_RECEIVER_USER": USER, "EPISERVER_RECEIVER_SECRET": SECRET,
                       "EPISERVER_RECEIVER_PORT": str(product_port),
                       "EPISERVER_RECEIVER_STORE_URL": f"sqlite:///{stores['product']}"}
        script = shutil.which("episerver-assets", path=str(Path(sys.executable).parent))
        product_command = [script or "episerver-assets", "webhook-receiver"]
        with (running("reference", reference_command, dict(os.environ), reference_port, work) as reference,
              running("product", product_command, product_env, product_port, work) as product):
            best = measure({"reference": reference, "product": product}, args, work)
        for name, store in stores.items():
            check_stored(name, store, best[name])
        store_commit_rates(work, args.array)
    return 0 if report(best["reference"], best["product"], args) else 1


if __name__ == "__main__":
    sys.exit(main())
