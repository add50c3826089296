"""User profiles from N activity events (default 10 M, about N/5 people), on DuckDB and PostgreSQL.

    .venv/bin/python benchmarks/user_profiles.py [--events 10000000] [--engine duckdb|postgresql|both]
                                                 [--postgres-url URL] [--steps]

The events are generated inside the warehouse with SQL (generate_series): 70% carry an address only,
20% an address and a recipient id, 10% a recipient id only; half opens, a quarter clicks on 50 URLs.
The last 1% of the events fall on a day of their own: "one day's incremental merge".

Per engine, in one run: the full build over 99% of the events (warm-up), the incremental merge of the
last day, the reference (a plain GROUP BY person computing count, min and max of event_ts into a table,
over the same table), then a full rebuild over all events. Prints seconds, the ratios the issue sets
targets for (full / reference <= 2, incremental / full <= 0.10) and the Python process's peak RSS per
stage (DuckDB runs inside this process, so its memory is in that figure; PostgreSQL's is not), and
the CPU seconds of each stage: this process's for DuckDB, the local server's for PostgreSQL (on a
shared machine they vary much less than the wall time).
Without --postgres-url (or EPISERVER_TEST_POSTGRES_URL) a throwaway PostgreSQL is started.
With --steps, every build statement taking over 50 ms is printed with its seconds (to see where time goes).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.closed_loop_memory import peak_rss_mib  # noqa: E402
from episerver_assets.defs.activity.activity_tables import episerver_activity  # noqa: E402
from episerver_assets.defs.activity.urls import url_hash  # noqa: E402
from episerver_assets.defs.profiles.build import build_profiles  # noqa: E402
from episerver_assets_tests.postgres_server import ThrowawayPostgres, find_postgres_bin  # noqa: E402
from episerver_assets.defs.profiles.tables import ensure_profile_tables  # noqa: E402
from episerver_assets.warehouse import WarehouseResource  # noqa: E402

URLS = 50
GENERATE_BATCH = 1_000_000
DAYS = 30


def _reset_peak_rss() -> None:
    """Linux: writing 5 to clear_refs resets VmHWM, so each stage reports its own peak."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def generate_events(warehouse: WarehouseResource, first: int, last: int, total: int, people: int) -> None:
    """Events first..last of total; those after 99% of total fall on the day after the others."""
    hashes = ", ".join(f"({n}, {url_hash(f'shop.example.com/p/{n}')})" for n in range(URLS))
    day_one = int(total * 0.99)
    sql = f"""
        INSERT INTO {episerver_activity.fullname}
        SELECT 'ev' || CAST(i AS VARCHAR), CAST(ts AS DATE), ts, type,
               CASE WHEN i % 20 >= 2 THEN email END, CASE WHEN i % 20 >= 2 THEN email END,
               CASE WHEN i % 20 < 6 THEN 'R' || CAST(p AS VARCHAR) END,
               CAST(1000 + i % 300 AS VARCHAR), CAST(p % 4 AS VARCHAR), '9001',
               CASE WHEN type = 'click' THEN 'https://shop.example.com/p/' || CAST(u.n AS VARCHAR) || '?utm_source=mail' END,
               CASE WHEN type = 'click' THEN 'shop.example.com/p/' || CAST(u.n AS VARCHAR) END,
               CASE WHEN type = 'click' THEN u.h END,
               i, ts
        FROM (
            SELECT i, p, 'user' || CAST(p AS VARCHAR) || '@example.com' AS email,
                   CASE WHEN (i / 3) % 20 < 10 THEN 'open' WHEN (i / 3) % 20 < 15 THEN 'click'
                        WHEN (i / 3) % 20 < 19 THEN 'sent' ELSE 'bounce' END AS type,
                   TIMESTAMPTZ '2026-10-01 00:00:00+00'
                     + CASE WHEN i > {day_one} THEN {DAYS} * INTERVAL '1 day' + ((i * 37) % 86400) * INTERVAL '1 second'
                            ELSE ((i * 37) % ({DAYS} * 86400)) * INTERVAL '1 second' END
                     + (i % 1000) * INTERVAL '1 millisecond' AS ts
            FROM (SELECT i, (i * 2654435761) % {people} AS p FROM generate_series(CAST(:first AS BIGINT), CAST(:last AS BIGINT)) AS g(i)) AS numbered
        ) AS e JOIN (VALUES {hashes}) AS u(n, h) ON u.n = e.i % {URLS}"""
    for start in range(first, last + 1, GENERATE_BATCH):  # smaller transactions: less memory held
        with warehouse.begin() as connection:
            connection.execute(sa.text(sql), {"first": start, "last": min(last, start + GENERATE_BATCH - 1)})


STEP_REPORT_SECONDS = 0.05
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int, with_reaped_children: bool) -> tuple[int, int]:
    """(utime + stime [+ cutime + cstime], parent pid) of a process from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    used = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if with_reaped_children else 0)
    return used, int(fields[1])


def server_cpu_clock(warehouse: WarehouseResource):
    """PostgreSQL on this machine: a clock of the CPU seconds its server used, all processes (the build's
    backend, parallel workers, and those already exited, which the postmaster reaped). None elsewhere."""
    with warehouse.engine.connect() as connection:
        backend = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar()
    try:
        postmaster = _cpu_ticks(backend, False)[1]
    except OSError:
        return None

    def seconds() -> float:
        total = _cpu_ticks(postmaster, True)[0]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    used, parent = _cpu_ticks(int(entry.name), False)
                except (OSError, IndexError):
                    continue  # exited meanwhile
                total += used if parent == postmaster else 0
        return total / CLOCK_TICKS
    return seconds


def print_slow_statements(engine: sa.Engine, cpu_clock) -> None:
    """Prints each statement over STEP_REPORT_SECONDS with its first line of SQL."""
    @sa.event.listens_for(engine, "before_cursor_execute")
    def _start(conn, cursor, statement, parameters, context, executemany):
        conn.info["step_started"] = time.perf_counter(), cpu_clock()

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _end(conn, cursor, statement, parameters, context, executemany):
        start, cpu_start = conn.info.pop("step_started", (time.perf_counter(), cpu_clock()))
        seconds, cpu = time.perf_counter() - start, cpu_clock() - cpu_start
        if seconds >= STEP_REPORT_SECONDS:
            print(f"      {seconds:7.2f} s  cpu {cpu:6.2f} s  {' '.join(statement.split())[:100]}")


def timed(label: str, action, cpu_clock=time.process_time) -> tuple[float, float]:
    """Wall seconds, and CPU seconds by cpu_clock: on a shared machine the CPU time varies less than the
    wall time. DuckDB runs in this process; PostgreSQL's clock is its server's (server_cpu_clock)."""
    _reset_peak_rss()
    start, cpu_start = time.perf_counter(), cpu_clock()
    outcome = action()
    seconds, cpu = time.perf_counter() - start, cpu_clock() - cpu_start
    print(f"  {label:<44} {seconds:8.2f} s   cpu {cpu:7.2f} s   peak RSS {peak_rss_mib():7.0f} MiB   {outcome or ''}")
    return seconds, cpu


def build(warehouse: WarehouseResource, full: bool):
    with warehouse.begin() as connection:
        result = build_profiles(connection, full_rebuild=full)
    return (f"{result.row_count:,} persons, {result.persons_changed:,} changed, "
            f"{result.events_merged:,} events merged")


def reference(warehouse: WarehouseResource) -> str:
    with warehouse.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS bench_reference"))
        connection.execute(sa.text(f"""
            CREATE TABLE bench_reference AS
            SELECT coalesce(email, 'r:' || ep_recipient_id) AS person, count(*) AS events,
                   min(event_ts) AS first_ts, max(event_ts) AS last_ts
            FROM {episerver_activity.fullname} GROUP BY coalesce(email, 'r:' || ep_recipient_id)"""))
        return f"{connection.execute(sa.text('SELECT count(*) FROM bench_reference')).scalar():,} groups"


def analyze(warehouse: WarehouseResource) -> None:
    if warehouse.dialect == "postgresql":
        with warehouse.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))


def bench(label: str, url: str, events: int, people: int, steps: bool) -> None:
    print(f"{label}: {events:,} events, {people:,} people")
    warehouse = WarehouseResource(url=url)
    ensure_profile_tables(warehouse)
    cpu_clock = (server_cpu_clock(warehouse) if warehouse.dialect == "postgresql" else None) or time.process_time
    day_one = int(events * 0.99)
    timed(f"generate {day_one:,} events (SQL)", lambda: generate_events(warehouse, 1, day_one, events, people),
          cpu_clock)
    analyze(warehouse)
    if steps:
        print_slow_statements(warehouse.engine, cpu_clock)
    timed("full build, 99% of the events (warm-up)", lambda: build(warehouse, full=True), cpu_clock)
    timed(f"generate the last day, {events - day_one:,} events", lambda: generate_events(
        warehouse, day_one + 1, events, events, people), cpu_clock)
    analyze(warehouse)
    incremental = timed("incremental merge of the last day (1%)", lambda: build(warehouse, full=False), cpu_clock)
    base = timed("reference: GROUP BY person count/min/max", lambda: reference(warehouse), cpu_clock)
    full = timed("full build, all events", lambda: build(warehouse, full=True), cpu_clock)
    print(f"  full / reference {full[0] / base[0]:.2f}x (target <= 2)   "
          f"incremental / full {incremental[0] / full[0]:.3f} (target <= 0.10)   "
          f"in CPU seconds: {full[1] / base[1]:.2f}x and {incremental[1] / full[1]:.3f}")
    warehouse.engine.dispose()


def postgres_database(server_url: str) -> str:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url.rpartition('/')[0]}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--people", type=int, help="default: events / 5")
    parser.add_argument("--engine", choices=["duckdb", "postgresql", "both"], default="both")
    parser.add_argument("--postgres-url", default=os.environ.get("EPISERVER_TEST_POSTGRES_URL"))
    parser.add_argument("--steps", action="store_true", help="print every build statement over 50 ms")
    args = parser.parse_args()
    people = args.people or max(1, args.events // 5)
    if args.engine in ("duckdb", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            bench("DuckDB", f"duckdb:///{tmp}/warehouse.duckdb", args.events, people, args.steps)
    if args.engine in ("postgresql", "both"):
        server = None
        if not args.postgres_url:
            if not find_postgres_bin():
                sys.exit("PostgreSQL: no --postgres-url and no initdb on this machine")
            server = ThrowawayPostgres(find_postgres_bin())
            args.postgres_url = server.start()
        try:
            bench("PostgreSQL", postgres_database(args.postgres_url), args.events, people, args.steps)
        finally:
            if server:
                server.stop()


if __name__ == "__main__":
    main()
