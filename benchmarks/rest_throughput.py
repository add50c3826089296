"""Throughput of the Campaign REST client against the sandbox.

    .venv/bin/python benchmarks/rest_throughput.py [--seconds 3] [--recipients 20000]
    .venv/bin/python benchmarks/rest_throughput.py --rest-url http://127.0.0.1:8765/rest --list-id 77

Prints requests/s for a simple GET (`GET /users/authenticated`) with 1 and 10 threads (and with bare
httpx as a reference for the server's own ceiling), recipients/s
for bulk add (`PUT /recipients/{listId}`, 1000 per request) with 1 and 4 threads, and recipients/s
for reading them back (`GET /recipients/{listId}`, pages of 1000). Without --rest-url the sandbox
REST app runs in a child process on a free 127.0.0.1 port, so client and server do not share a GIL.
Recipient ids carry a per-run prefix, so runs against a long-lived sandbox do not collide.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from episerver_assets.campaign.rest import CampaignRestClient, CampaignRestResource, RecipientData  # noqa: E402

CLIENT_ID, USER, PASSWORD, LIST_ID = 1000, "sandbox-api", "sandbox-secret", 77


def serve_sandbox(port_out, stop) -> None:
    """Child process: the sandbox REST app at /rest with an empty list 77, until `stop` is set."""
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from episerver_assets.sandbox.faults import FaultSwitch
    from episerver_assets.sandbox.http import BackgroundHttpServer
    from episerver_assets.sandbox.rest_app import build_rest_app
    from episerver_assets.sandbox.state import ClientAccount, ListField, RecipientList, SandboxState

    state = SandboxState([ClientAccount(CLIENT_ID, USER, PASSWORD)])
    fields = [ListField("email", required=True), ListField("firstname"), ListField("lastname")]
    state.client(CLIENT_ID).lists[LIST_ID] = RecipientList(LIST_ID, "Benchmark", "", fields)
    app = Starlette(routes=[Mount("/rest", app=build_rest_app(state, FaultSwitch()))])
    with BackgroundHttpServer(app) as server:
        port_out.send(server.port)
        stop.wait()


def rate(threads: int, work: Callable[[int], int]) -> float:
    """Units per second of `work(thread_index) -> units` run on `threads` threads at once."""
    done = [0] * threads
    start = threading.Barrier(threads + 1)

    def run(index: int) -> None:
        start.wait()
        done[index] = work(index)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    return sum(done) / (time.perf_counter() - began)


def simple_gets(client: CampaignRestClient, seconds: float) -> Callable[[int], int]:
    def work(_: int) -> int:
        count, deadline = 0, time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            client.authenticated_user()
            count += 1
        return count
    return work


def bare_gets(rest_url: str, seconds: float) -> Callable[[int], int]:
    def work(_: int) -> int:
        count, deadline = 0, time.perf_counter() + seconds
        with httpx.Client(auth=(USER, PASSWORD)) as http:
            while time.perf_counter() < deadline:
                http.get(f"{rest_url}/{CLIENT_ID}/users/authenticated").raise_for_status()
                count += 1
        return count
    return work


def bulk_adds(client: CampaignRestClient, list_id: int, prefix: str, per_thread: int) -> Callable[[int], int]:
    def work(index: int) -> int:
        batch = [RecipientData(f"{prefix}-{index}-{i}@bench.example", {"firstname": f"F{i}", "lastname": "Bench"})
                 for i in range(per_thread)]
        result = client.add_recipients(list_id, batch)
        if result.failed_ids:
            raise RuntimeError(f"{len(result.failed_ids)} recipients were refused")
        return result.count
    return work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rest-url", help="an already running sandbox (default: start one)")
    parser.add_argument("--list-id", type=int, default=LIST_ID)
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each GET measurement")
    parser.add_argument("--recipients", type=int, default=20000, help="recipients per bulk-add measurement")
    args = parser.parse_args()

    stop = multiprocessing.Event()
    child = None
    rest_url = args.rest_url
    if rest_url is None:
        receive, send = multiprocessing.Pipe(duplex=False)
        child = multiprocessing.Process(target=serve_sandbox, args=(send, stop), daemon=True)
        child.start()
        if not receive.poll(30):
            raise SystemExit("the sandbox did not start within 30 s")
        rest_url = f"http://127.0.0.1:{receive.recv()}/rest"
    try:
        resource = CampaignRestResource(rest_url=rest_url, client_id=str(CLIENT_ID), api_user=USER, api_password=PASSWORD)
        prefix = uuid.uuid4().hex[:8]
        with resource.client() as client:
            client.authenticated_user()  # warm up the connection pool
            print(f"Campaign REST client against {rest_url}")
            for threads in (1, 10):
                print(f"  GET /users/authenticated, {threads:>2} thread(s): "
                      f"{rate(threads, simple_gets(client, args.seconds)):8.0f} requests/s")
            print(f"  same GET with bare httpx, 1 thread:  {rate(1, bare_gets(rest_url, args.seconds)):8.0f} requests/s"
                  "  (reference: the server's own ceiling)")
            for threads in (1, 4):
                per_thread = args.recipients // threads
                work = bulk_adds(client, args.list_id, f"{prefix}-t{threads}", per_thread)
                print(f"  PUT /recipients bulk add, {threads} thread(s):  {rate(threads, work):8.0f} recipients/s"
                      f"  ({per_thread * threads} recipients, 1000 per request)")
            began = time.perf_counter()
            read = sum(1 for _ in client.recipients(args.list_id, ["email", "firstname"]))
            print(f"  GET /recipients paged read:          {read / (time.perf_counter() - began):8.0f} recipients/s"
                  f"  ({read} recipients, pages of 1000)")
    finally:
        stop.set()
        if child is not None:
            child.join(timeout=10)


if __name__ == "__main__":
    main()
