"""Profiles enriched per second: the sandbox's enrichment service in a child process (no GIL shared),
the product's `run_enrichment` against it over loopback HTTP, one warehouse transaction per chunk.

    .venv/bin/python benchmarks/enrichment_throughput.py --profiles 5000 --concurrency 16

Also times the Jsonnet rendering alone (batches of 500), the part that runs on the product's CPU.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _serve(ready, stop) -> None:
    from episerver_assets.sandbox.enrichment import EnrichmentService, build_enrichment_app
    from episerver_assets.sandbox.http import BackgroundHttpServer

    with BackgroundHttpServer(build_enrichment_app(EnrichmentService())) as server:
        ready.send(server.base_url)
        stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profiles", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warehouse", default=None, help="warehouse URL (default: a DuckDB file in a temp dir)")
    args = parser.parse_args()

    from episerver_assets.defs.enrichment.templates import render_batch
    from episerver_assets.settings import SANDBOX_ENRICHMENT_SECRET
    from episerver_assets.warehouse import WarehouseResource
    from episerver_assets_tests.enrichment_support import add_members, enrichments_file, run, the_enrichment

    receive, send = multiprocessing.Pipe(duplex=False)
    stop = multiprocessing.Event()
    child = multiprocessing.Process(target=_serve, args=(send, stop), daemon=True)
    child.start()
    try:
        os.environ["EPISERVER_ENRICHMENT_SANDBOX_URL"] = receive.recv() + ""
        os.environ["TESTS_ENRICHMENT_SECRET"] = SANDBOX_ENRICHMENT_SECRET
        directory = Path(tempfile.mkdtemp())
        enrichment = the_enrichment(enrichments_file(directory, concurrency=args.concurrency,
                                                     rate_limit_per_second=10000))
        warehouse = WarehouseResource(url=args.warehouse or f"duckdb:///{directory / 'warehouse.duckdb'}")
        emails = [f"user{i:07d}@example.com" for i in range(args.profiles)]
        add_members(warehouse, emails)

        started = time.perf_counter()
        for start in range(0, len(emails), 500):
            render_batch(enrichment.slug, enrichment.template, enrichment.fields,
                         [{"email": e} for e in emails[start:start + 500]])
        rendering = time.perf_counter() - started
        summary = run(warehouse, enrichment)
        print(f"{warehouse.dialect}: {summary.enriched:,} enriched, {summary.failed} failed, "
              f"{summary.requests:,} requests, {summary.tokens_fetched} token(s) in {summary.seconds:.1f} s: "
              f"{summary.enriched / summary.seconds:,.0f} profiles/s at concurrency {args.concurrency}; "
              f"Jsonnet rendering alone {len(emails) / rendering:,.0f} profiles/s")
    finally:
        stop.set()
        child.join(timeout=10)


if __name__ == "__main__":
    main()
