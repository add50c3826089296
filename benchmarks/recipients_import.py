"""The recipients import (`campaign/episerver_recipients`) on one large list, DuckDB and PostgreSQL.

    .venv/bin/python benchmarks/recipients_import.py [--recipients 100000] [--postgres-url URL]

The sandbox REST app runs in a child process (no shared GIL) with one list of N recipients and three
attributes. Per engine: the first import (a full pass), an incremental pass after 1% were modified,
and a requested full pass after 1% were deleted; the reference is reading the list through the same
REST client without writing anything, so "run - read" is what the import adds on top of the API.
Without --postgres-url (or EPISERVER_TEST_POSTGRES_URL) a throwaway PostgreSQL is started when
initdb exists. Peak RSS is the benchmark process's (client side only).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from episerver_assets.campaign.rest import CampaignRestResource, RecipientData  # noqa: E402
from episerver_assets.defs.campaign.recipients_asset import episerver_recipients  # noqa: E402
from episerver_assets.warehouse import WarehouseResource  # noqa: E402
from episerver_assets_tests.postgres_server import ThrowawayPostgres, find_postgres_bin  # noqa: E402

CLIENT_ID, USER, PASSWORD, LIST_ID = 1000, "sandbox-api", "sandbox-secret", 77
FIELDS = ["firstname", "lastname", "city"]


def serve_sandbox(recipients: int, port_out, stop) -> None:
    """Child process: the sandbox REST app with list 77 holding `recipients` recipients."""
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from episerver_assets.sandbox.faults import FaultSwitch
    from episerver_assets.sandbox.http import BackgroundHttpServer
    from episerver_assets.sandbox.rest_app import build_rest_app
    from episerver_assets.sandbox.state import ClientAccount, ListField, RecipientList, SandboxState

    state = SandboxState([ClientAccount(CLIENT_ID, USER, PASSWORD)])
    fields = [ListField("email", required=True), *(ListField(name) for name in FIELDS)]
    campaign = state.client(CLIENT_ID)
    campaign.lists[LIST_ID] = RecipientList(LIST_ID, "Benchmark", "", fields)
    for i in range(recipients):
        address = f"person{i:07d}@bench.example"
        campaign.add_recipient(LIST_ID, address, {"email": address, "firstname": f"F{i}", "lastname": "Bench",
                                                  "city": f"City {i % 500}"})
    app = Starlette(routes=[Mount("/rest", app=build_rest_app(state, FaultSwitch()))])
    with BackgroundHttpServer(app) as server:
        port_out.send(server.port)
        stop.wait()


def timed(action) -> tuple[float, object]:
    began = time.perf_counter()
    result = action()
    return time.perf_counter() - began, result


def run_engine(name: str, url: str, rest: CampaignRestResource, recipients: int, shift: int) -> None:
    """`shift` picks other recipients to modify and delete for each engine (the list is shared)."""
    warehouse = WarehouseResource(url=url)
    with dg.DagsterInstance.ephemeral() as instance:
        def materialize(full_pass: bool = False) -> dict:
            result = dg.materialize(
                [episerver_recipients], resources={"rest": rest, "warehouse": warehouse}, instance=instance,
                run_config={"ops": {"campaign__episerver_recipients": {"config": {"full_pass": full_pass}}}},
            )
            metadata = result.get_asset_materialization_events()[0].event_specific_data.materialization.metadata
            return metadata["per_list"].value[str(LIST_ID)]

        def report(label: str, seconds: float, counts: dict) -> None:
            print(f"{name:10} {label:34} {seconds:6.2f} s  {recipients / seconds:9,.0f} recipients/s read  "
                  f"new {counts['new']} updated {counts['updated']} deleted {counts['deleted']}")

        seconds, counts = timed(materialize)
        report("first import (full pass)", seconds, counts)
        with rest.client() as client:
            step = 100
            client.modify_recipients(LIST_ID, [RecipientData(f"person{i:07d}@bench.example", {"city": "Moved"})
                                               for i in range(shift, recipients, step)])
        seconds, counts = timed(materialize)
        report("incremental, 1% modified", seconds, counts)
        with rest.client() as client:
            client.delete_recipients(LIST_ID, [f"person{i:07d}@bench.example" for i in range(shift + 1, recipients, step)])
        seconds, counts = timed(lambda: materialize(full_pass=True))
        report("full pass, 1% deleted", seconds, counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--postgres-url", default=os.environ.get("EPISERVER_TEST_POSTGRES_URL"))
    args = parser.parse_args()

    receive, send = multiprocessing.Pipe(duplex=False)
    stop = multiprocessing.Event()
    child = multiprocessing.Process(target=serve_sandbox, args=(args.recipients, send, stop), daemon=True)
    child.start()
    rest_url = f"http://127.0.0.1:{receive.recv()}/rest"
    rest = CampaignRestResource(rest_url=rest_url, client_id=str(CLIENT_ID), api_user=USER, api_password=PASSWORD)
    server = None
    try:
        with rest.client() as client:
            seconds, read = timed(lambda: sum(1 for _ in client.recipients(LIST_ID, ["email", *FIELDS])))
        print(f"reference: reading {read:,} recipients through the REST client, no writes: {seconds:.2f} s "
              f"({read / seconds:,.0f}/s)")
        with tempfile.TemporaryDirectory() as scratch:
            config_file = Path(scratch) / "recipients.yaml"
            config_file.write_text(f"lists:\n  - id: {LIST_ID}\n    attributes: [{', '.join(FIELDS)}]\n")
            os.environ["EPISERVER_RECIPIENTS_CONFIG"] = str(config_file)
            run_engine("DuckDB", f"duckdb:///{scratch}/warehouse.duckdb", rest, args.recipients, shift=0)
            if not args.postgres_url and find_postgres_bin():
                server = ThrowawayPostgres(find_postgres_bin())
                args.postgres_url = server.start()
            if args.postgres_url:
                run_engine("PostgreSQL", args.postgres_url, rest, args.recipients, shift=2)
    finally:
        stop.set()
        child.join(10)
        if server is not None:
            server.stop()
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
