"""What recording sent batches costs the export apply (`apply_record.record_batches`), per engine.

    .venv/bin/python benchmarks/export_record_batch.py [--ledger 0 500000] [--sizes 1000 10000] [--repeat 5]
        [--engines duckdb postgresql] [--postgres-url URL]

The apply's warehouse thread marks a group of batches in flight in one transaction, reads the ledger
and retry schedule once per page of plan rows, and records the sent batches it finds queued together,
one transaction for several (Arrow loads of ledger rows and results; deletes only for rows the ledger
or the retry schedule held). This measures the marks and the recording transaction alone, with the
ledger already holding --ledger rows, for --sizes rows of adds that succeeded, recorded as batches of
1000 in one transaction: milliseconds per 1000 rows and microseconds per row, without Campaign.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from episerver_assets.defs.exports.apply_record import Earlier, SentBatch, mark_in_flight, record_batches  # noqa: E402
from episerver_assets.defs.exports.apply_send import PlannedRow, RowOutcome  # noqa: E402
from episerver_assets.defs.exports.config import Export  # noqa: E402
from episerver_assets.defs.exports.tables import ensure_export_tables, owned_members  # noqa: E402
from episerver_assets.warehouse import WarehouseResource  # noqa: E402
from episerver_assets.warehouse.bulk_load import load_arrow  # noqa: E402
from episerver_assets_tests.postgres_server import ThrowawayPostgres, find_postgres_bin  # noqa: E402

EXPORT = Export(name="bench", audiences=("bench",), recipient_list_id=1, membership_field="audiences")
PAYLOAD = '{"audiences" : "Bench audience"}'
AT = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)


def fill_ledger(warehouse: WarehouseResource, rows: int) -> None:
    ids = [f"ledger{i:08d}@bench.example" for i in range(rows)]
    stamps = pa.array([AT] * rows, pa.timestamp("us", tz="UTC"))
    with warehouse.begin() as connection:
        connection.execute(owned_members.delete())
        load_arrow(connection, owned_members, pa.table({
            "export": [EXPORT.name] * rows, "recipient_id": ids, "email": ids, "added_by_us": [True] * rows,
            "active": [True] * rows, "membership_sent": ["Bench audience"] * rows, "payload_sent": [PAYLOAD] * rows,
            "first_sent_at": stamps, "last_sent_at": stamps, "exited_at": pa.nulls(rows, pa.timestamp("us", tz="UTC"))}))


def time_batches(warehouse: WarehouseResource, size: int, repeat: int, serial: list[int]) -> float:
    """Mean seconds of mark_in_flight + record_batches (two transactions, as the apply does) per `size` rows."""
    total = 0.0
    for _ in range(repeat):
        start = serial[0]
        serial[0] += size
        rows = [PlannedRow(f"new{i:09d}@bench.example", f"new{i:09d}@bench.example", "add", PAYLOAD)
                for i in range(start, start + size)]
        outcomes = [RowOutcome(r.recipient_id, True, added_by_us=True) for r in rows]
        began = time.perf_counter()
        with warehouse.begin() as connection:
            mark_in_flight(connection, EXPORT, "plan-1", rows[0], rows[-1])
        batches = [SentBatch(rows[i:i + 1000], outcomes[i:i + 1000], Earlier({}, {})) for i in range(0, size, 1000)]
        with warehouse.begin() as connection:
            record_batches(connection, EXPORT, "plan-1", batches, AT)
        total += time.perf_counter() - began
    return total / repeat


def run(name: str, url: str, ledgers: list[int], sizes: list[int], repeat: int) -> None:
    warehouse = WarehouseResource(url=url)
    ensure_export_tables(warehouse)
    serial = [0]
    for ledger in ledgers:
        fill_ledger(warehouse, ledger)
        for size in sizes:
            seconds = time_batches(warehouse, size, repeat, serial)
            print(f"{name:10} ledger {ledger:9,} rows, {size:6,} rows at once: {seconds * 1e3:8.1f} ms, "
                  f"{seconds / size * 1e6:6.1f} us per row ({size / seconds:9,.0f} rows/s recorded)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ledger", type=int, nargs="+", default=[0, 500_000])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--engines", nargs="+", choices=["duckdb", "postgresql"], default=["duckdb", "postgresql"])
    parser.add_argument("--postgres-url", default=os.environ.get("EPISERVER_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    server = None
    try:
        with tempfile.TemporaryDirectory() as scratch:
            for engine in args.engines:
                if engine == "duckdb":
                    run("DuckDB", f"duckdb:///{scratch}/warehouse.duckdb", args.ledger, args.sizes, args.repeat)
                    continue
                if not args.postgres_url:
                    server = ThrowawayPostgres(find_postgres_bin())
                    args.postgres_url = server.start()
                run("PostgreSQL", args.postgres_url, args.ledger, args.sizes, args.repeat)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
