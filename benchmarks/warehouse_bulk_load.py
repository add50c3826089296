"""Bulk-load rates of the warehouse engines for a closed-loop clicks table.

    .venv/bin/python benchmarks/warehouse_bulk_load.py [--rows 1000000] [--postgres-url URL]

Prints rows/s for: the resource's fast path on DuckDB (Arrow scan) and PostgreSQL (COPY), and in the
same run the slow paths it avoids (SQLite executemany, pandas `to_sql` on PostgreSQL) as references.
Without --postgres-url (or EPISERVER_TEST_POSTGRES_URL) a throwaway PostgreSQL is started when initdb exists.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from episerver_assets.warehouse import WarehouseResource  # noqa: E402
from episerver_assets_tests.postgres_server import ThrowawayPostgres, find_postgres_bin  # noqa: E402

DAY = dt.date(2026, 11, 1)


def clicks(rows: int) -> pa.Table:
    rng = np.random.default_rng(7)
    ids = rng.integers(10**10, 10**11, rows)
    return pa.table(
        {
            "link_id": ids,
            "mailing_id": ids // 7,
            "mailing_to_user_id": ids // 3,
            "mailing_group_id": np.full(rows, 44018617811),
            "user_id": pa.array([f"user{i % 500_000}@example.com" for i in range(rows)]),
            "created": pa.array(
                np.datetime64("2026-11-01T00:00:00") + rng.integers(0, 86400, rows).astype("timedelta64[s]"),
                pa.timestamp("us"),
            ),
            "click_browser": pa.array(["Firefox 64.1"] * rows),
            "click_platform": pa.array(["Windows 10"] * rows),
            "click_device": pa.array(["Desktop"] * rows),
            "partition_date": pa.array([DAY] * rows, pa.date32()),
        }
    )


def clicks_table() -> sa.Table:
    types = {"user_id": sa.Text, "created": sa.DateTime, "partition_date": sa.Date,
             "click_browser": sa.Text, "click_platform": sa.Text, "click_device": sa.Text}
    names = ["link_id", "mailing_id", "mailing_to_user_id", "mailing_group_id", "user_id", "created",
             "click_browser", "click_platform", "click_device", "partition_date"]
    return sa.Table("bench_clicks", sa.MetaData(), *(sa.Column(n, types.get(n, sa.BigInteger)) for n in names))


def timed(label: str, rows: int, action) -> float:
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    rate = rows / seconds
    print(f"{label:<42} {rows:>10,} rows  {seconds:7.2f} s  {rate / 1e6:6.2f} M rows/s")
    return rate


def bench_warehouse(label: str, url: str, data: pa.Table) -> float:
    warehouse = WarehouseResource(url=url)
    table = clicks_table()
    warehouse.ensure_table(table)
    rate = timed(label, data.num_rows, lambda: warehouse.replace_partition(table, "partition_date", DAY, data))
    assert warehouse.row_count(table) == data.num_rows
    return rate


def bench_sqlite(path: Path, data: pa.Table) -> float:
    rows = list(zip(*(c.to_pylist() for c in data.columns)))
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE t ({', '.join(data.schema.names)})")
        return timed("reference: SQLite executemany", len(rows),
                     lambda: db.executemany(f"INSERT INTO t VALUES ({', '.join('?' * data.num_columns)})", rows))


def bench_to_sql(url: str, data: pa.Table) -> float:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    frame = data.to_pandas()
    return timed("reference: pandas to_sql on PostgreSQL", len(frame),
                 lambda: frame.to_sql("bench_to_sql", engine, index=False, chunksize=10_000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reference-rows", type=int, default=100_000,
                        help="rows for the slow reference paths (they take minutes at full size)")
    parser.add_argument("--postgres-url", default=os.environ.get("EPISERVER_TEST_POSTGRES_URL"))
    args = parser.parse_args()

    data = clicks(args.rows)
    reference = data.slice(0, args.reference_rows)
    server = None
    if not args.postgres_url and find_postgres_bin():
        server = ThrowawayPostgres(find_postgres_bin())
        args.postgres_url = server.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            duck = bench_warehouse("embedded DuckDB (Arrow scan)", f"duckdb:///{tmp}/w.duckdb", data)
            sqlite = bench_sqlite(Path(tmp) / "ref.sqlite", reference)
            print(f"  DuckDB / SQLite executemany: {duck / sqlite:.1f}x")
        if args.postgres_url:
            copy = bench_warehouse("PostgreSQL (binary COPY)", args.postgres_url, data)
            to_sql = bench_to_sql(args.postgres_url, reference)
            print(f"  COPY / to_sql: {copy / to_sql:.1f}x")
        else:
            print("PostgreSQL skipped: no --postgres-url and no initdb on this machine")
    finally:
        if server:
            server.stop()


if __name__ == "__main__":
    main()
