"""An audience export (`exports/<name>_plan` + `_apply`) backfilling a large audience, then small changes.

    .venv/bin/python benchmarks/export_backfill.py [--members 1000000] [--engines duckdb postgresql]
        [--postgres-url URL] [--threads 1 4 10 20 40] [--sweep-requests 100] [--apply-connections N]
        [--duckdb-set NAME=VALUE ...]

The sandbox's REST app runs in a child process (`activation_sandbox.py`). Per engine: N members of one
audience go straight into `audiences.audience_members` (Arrow bulk load; profiles stay empty) and an
export with a membership field targets an empty list that has that field. Reference, same run: bare
httpx sending the same pre-built bulk adds (1000 recipients per `PUT /rest/{client}/recipients/{listId}`,
the body the product sends) to another empty list. The thread count is chosen once by sending
--sweep-requests requests at each of --threads (each into a fresh list); the full reference then runs
at the best count right before each engine's product run. The product: plan (confirm: true, a first
backfill) and apply through `dg.materialize`; both lists are checked against the expected recipients
(count and digest of sorted id + membership value). Then a 1% change (N/200 exits, whose membership
field is cleared, and N/200 entries: N/100 changed rows) and a 0.1% change, each planned and applied and
checked the same way.

Where the apply's time goes: wall seconds per step (the warehouse thread's page reads, marks and
recording; the sending threads' requests), the garbage collector's pauses, and CPU milliseconds per
1000 recipients of this process, the sandbox and the local PostgreSQL server, for the reference and the
apply (of this process's, how much in sending, page reads, marks, recording and commits, and how much per
thread, the engine's own worker threads included). On 2 shared cores the ratio to the reference is
bounded by what the product spends beside the sandbox.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import threading
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import httpx
import pyarrow as pa
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from activation_sandbox import (  # noqa: E402
    CLIENT_ID, PASSWORD, USER, ChildSandbox, Stopwatch, digest, load_average, peak_rss_mib, send_all,
)
from receiver_wrk import cpu_seconds  # noqa: E402
from episerver_assets.campaign.rest import CampaignRestResource  # noqa: E402
from episerver_assets.defs.audiences.config import load_audiences  # noqa: E402
from episerver_assets.defs.audiences.tables import (  # noqa: E402
    POSTGRESQL_INDEXES, audience_history, audience_members, audience_sizes,
)
from episerver_assets.defs.crm_refresh.suppressions_asset import SUPPRESSIONS_KEY  # noqa: E402
from episerver_assets.defs.crm_refresh.tables import suppressions  # noqa: E402
from episerver_assets.defs.exports import (  # noqa: E402
    apply_asset, apply_duckdb, apply_pages, apply_record, apply_run, apply_warehouse, plan_asset,
)
from episerver_assets.defs.exports.apply_asset import build_apply_asset  # noqa: E402
from episerver_assets.defs.exports.config import Export  # noqa: E402
from episerver_assets.defs.profiles.tables import ensure_profile_tables  # noqa: E402
from episerver_assets.pools import rest_share_per_step  # noqa: E402
from episerver_assets.warehouse import WarehouseResource  # noqa: E402
from episerver_assets.warehouse.bulk_load import load_arrow  # noqa: E402
from episerver_assets.warehouse.indexes import create_missing_indexes  # noqa: E402
from episerver_assets_tests.postgres_server import ThrowawayPostgres, find_postgres_bin  # noqa: E402

AUDIENCE, AUDIENCE_NAME, FIELD = "bench", "Bench audience", "audiences"
LIST_FIELDS = ("email", FIELD)
BATCH = 1000
ENTERED = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
TIMED = [(plan_asset, "require_list_fields", "list fields+count"), (plan_asset, "make_plan", "make_plan (SQL)"),
         (apply_run, "mark_in_flight", "mark_in_flight"), (apply_run, "send_batch", "send_batch (threads)"),
         (apply_pages, "rows", "plan-row queries"), (apply_pages, "_handled_ids", "handled-id queries"),
         (apply_pages, "earlier_state", "ledger lookups (per page)"), (apply_run, "recover", "recovery check"),
         (apply_asset, "_latest_plan", "apply's latest-plan check"),
         (apply_warehouse, "record_batches", "record_batches"), (apply_record, "_delete", "  deletes"),
         (apply_record, "load_arrow", "  Arrow loads (incl. in-flight marks)"),
         (apply_duckdb._DuckDbApplySettings, "_exit", "DuckDB settings put back + CHECKPOINT")]
"""What the product's time is split into. Page reads, marks and record_batches run on the warehouse thread (the
indented ones inside record_batches, one transaction for several batches), send_batch on the sending threads."""


class GcPauses:
    """Seconds the cyclic garbage collector stopped every thread of this process for, per generation."""

    def __init__(self) -> None:
        self.seconds, self.runs, self._began = [0.0] * 3, [0] * 3, 0.0

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.seconds[info["generation"]] += time.perf_counter() - self._began
            self.runs[info["generation"]] += 1

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self._callback)

    def __str__(self) -> str:
        return "GC pauses " + ", ".join(f"gen{g} {self.seconds[g]:.2f} s / {self.runs[g]}" for g in range(3))


class ThreadCpu:
    """CPU seconds (of the calling thread: Python and the engine's work alike) spent in wrapped functions."""

    def __init__(self, *targets: tuple[object, str, str]) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._lock, self._undo = threading.Lock(), []
        for owner, name, label in targets:
            original = getattr(owner, name)
            setattr(owner, name, self._timed(original, label))
            self._undo.append((owner, name, original))

    def _timed(self, original, label: str):
        def timed(*args, **kwargs):
            began = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds[label] += time.thread_time() - began
        return timed

    def restore(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)

    def per_thousand(self, rows: int) -> str:
        return ", ".join(f"{label} {seconds / rows * 1e6:.1f}" for label, seconds in self.seconds.items())


class ThreadsCpu:
    """CPU seconds of every thread of this process during a block, by thread (Python's name, or the kernel's
    for the engine's own worker threads, which `ThreadCpu` cannot see), read from /proc every 0.2 s so
    threads that end inside the block count too (ticks of 10 ms)."""

    def __init__(self) -> None:
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._names: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="bench-threads-cpu", daemon=True)

    @staticmethod
    def _read() -> dict[int, tuple[str, float]]:
        found = {}
        for task in Path("/proc/self/task").iterdir():
            try:
                stat = (task / "stat").read_text()
            except OSError:
                continue
            comm, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
            found[int(task.name)] = (comm, (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK"))
        return found

    def _take(self) -> None:
        python = {thread.native_id: thread.name for thread in threading.enumerate()}
        for tid, (comm, seconds) in self._read().items():
            self._first.setdefault(tid, 0.0 if self._thread.is_alive() else seconds)  # a thread started inside
            self._last[tid] = seconds
            self._names.setdefault(tid, python.get(tid) or f"[{comm}]")

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self._take()

    def __enter__(self) -> ThreadsCpu:
        self._take()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._take()

    def per_thousand(self, rows: int) -> str:
        by_kind: dict[str, float] = defaultdict(float)
        threads: dict[str, int] = defaultdict(int)
        for tid, seconds in self._last.items():
            kind = self._names[tid].rstrip("0123456789").rstrip("_")
            by_kind[kind] += seconds - self._first[tid]
            threads[kind] += seconds > self._first[tid]
        return ", ".join(f"{kind} {seconds / rows * 1e6:.1f} ({threads[kind]} threads)" for kind, seconds in
                         sorted(by_kind.items(), key=lambda item: -item[1]) if seconds > 0)


THREAD_CPU = [(apply_run, "send_batch", "send_batch"), (apply_pages, "_page", "page reads"),
              (apply_run, "mark_in_flight", "marks"), (apply_warehouse, "record_batches", "record_batches"),
              (sa.engine.default.DefaultDialect, "do_commit", "commits (any thread's)"),
              (apply_duckdb._DuckDbApplySettings, "_exit", "DuckDB's settings put back + CHECKPOINT")]


class CpuMeter:
    """CPU milliseconds per 1000 recipients of this process, the sandbox's and the local PostgreSQL server's:
    on 2 shared cores the ratio to the reference is bounded by what the product spends beside the sandbox."""

    def __init__(self, sandbox: ChildSandbox, warehouse: WarehouseResource, members: int) -> None:
        self._clocks = {"this process": time.process_time,
                        "sandbox": lambda: cpu_seconds(sandbox._process.pid)}
        if warehouse.dialect == "postgresql":
            from user_profiles import server_cpu_clock

            self._clocks["PostgreSQL"] = server_cpu_clock(warehouse)
        self._members, self.spent = members, {}

    @contextmanager
    def measure(self, label: str) -> Iterator[None]:
        before = {name: clock() for name, clock in self._clocks.items()}
        yield
        self.spent[label] = {name: clock() - before[name] for name, clock in self._clocks.items()}

    def __str__(self) -> str:
        return "CPU ms per 1000 recipients: " + "; ".join(
            f"{label}: " + ", ".join(f"{name} {seconds / self._members * 1e6:.1f}" for name, seconds in spent.items())
            for label, spent in self.spent.items())


def address(i: int) -> str:
    return f"member{i:08d}@bench.example"


# -- reference: bare httpx, pre-built bodies ------------------------------------------------------------

def reference_bodies(members: int) -> list[bytes]:
    """The apply's bulk-add bodies (RecipientData.to_json of id, membership field, address), pre-encoded."""
    bodies = []
    for start in range(0, members, BATCH):
        rows = [{"id": address(i), "data": {FIELD: AUDIENCE_NAME}, "address": address(i)}
                for i in range(start, min(start + BATCH, members))]
        bodies.append(json.dumps({"recipients": rows}).encode())
    return bodies


def send_reference(sandbox: ChildSandbox, list_id: int, bodies: list[bytes], threads: int) -> float:
    sandbox.create_list(list_id, LIST_FIELDS)
    url = f"{sandbox.rest_url}/{CLIENT_ID}/recipients/{list_id}"
    limits = httpx.Limits(max_connections=threads, max_keepalive_connections=threads)
    with httpx.Client(auth=(USER, PASSWORD), limits=limits, timeout=120,
                      headers={"Content-Type": "application/json", "Accept": "application/json"}) as http:
        def send(body: bytes) -> None:
            response = http.put(url, content=body)
            response.raise_for_status()
            if response.json()["failedIds"]:
                raise RuntimeError(f"reference: the sandbox refused {len(response.json()['failedIds'])} ids")

        return send_all(bodies, threads, send)


def sweep(sandbox: ChildSandbox, bodies: list[bytes], thread_counts: list[int]) -> int:
    rates = {}
    for threads in thread_counts:
        list_id = 800_000 + threads
        seconds = send_reference(sandbox, list_id, bodies, threads)
        rates[threads] = len(bodies) * BATCH / seconds
        sandbox.drop_list(list_id)
        print(f"  reference sweep: {threads:2d} threads {rates[threads]:9,.0f} recipients/s "
              f"({len(bodies)} requests)", flush=True)
    return max(rates, key=rates.get)


# -- the product ------------------------------------------------------------------------------------------

class ExportBench:
    def __init__(self, url: str, rest: CampaignRestResource, list_id: int, scratch: Path, members: int):
        self.warehouse, self.rest, self.members = WarehouseResource(url=url), rest, members
        audiences_file = scratch / "audiences.yaml"
        audiences_file.write_text(f"audiences:\n  - {{name: {AUDIENCE_NAME}, slug: {AUDIENCE}, filter: opens >= 1}}\n")
        self.audiences = load_audiences(audiences_file)
        self.export = Export(name="bench", audiences=(AUDIENCE,), recipient_list_id=list_id, membership_field=FIELD)
        self.instance = dg.DagsterInstance.ephemeral()
        self.expected = {address(i): AUDIENCE_NAME for i in range(members)}
        self.next_member = members

    def load_members(self) -> float:
        ensure_profile_tables(self.warehouse)
        self.warehouse.ensure_table(audience_members, audience_history, audience_sizes, suppressions)
        began = time.perf_counter()
        with self.warehouse.begin() as connection:
            if connection.dialect.name == "postgresql":
                create_missing_indexes(  # the recompute's index on the members
                    connection, [index for index in POSTGRESQL_INDEXES if index.table is audience_members])
            load_arrow(connection, audience_members, self._member_rows(range(self.members)))
        # Suppressions loaded (empty): the plan's check needs them to have been materialized once.
        self.instance.report_runless_asset_event(dg.AssetMaterialization(SUPPRESSIONS_KEY))
        return time.perf_counter() - began

    def _member_rows(self, indexes: range | list[int]) -> pa.Table:
        emails = [address(i) for i in indexes]
        return pa.table({"audience": [AUDIENCE] * len(emails), "email": emails,
                         "person_id": pa.nulls(len(emails), pa.string()),
                         "entered_at": pa.array([ENTERED] * len(emails), pa.timestamp("us", tz="UTC"))})

    def change(self, exits: list[int], entries: int) -> None:
        """Members leave (their membership field is cleared) and new members enter, with their history events
        (a plan may compare only the members those name)."""
        new = list(range(self.next_member, self.next_member + entries))
        self.next_member += entries
        gone = [address(i) for i in exits]
        at = dt.datetime.now(dt.UTC)
        with self.warehouse.begin() as connection:
            connection.execute(audience_members.delete().where(audience_members.c.email.in_(gone)))
            load_arrow(connection, audience_members, self._member_rows(new))
            connection.execute(audience_history.insert(), [
                {"audience": AUDIENCE, "email": email, "person_id": None, "event": event, "event_at": at}
                for event, emails in (("exit", gone), ("enter", [address(i) for i in new])) for email in emails])
            size = connection.execute(sa.select(sa.func.count()).select_from(audience_members)).scalar_one()
            connection.execute(audience_sizes.insert().values(  # as a computation records itself
                audience=AUDIENCE, computed_at=at, members=size, entered=len(new), exited=len(gone)))
        self.expected.update({email: "" for email in gone})
        self.expected.update({address(i): AUDIENCE_NAME for i in new})

    def plan(self, confirm: bool) -> float:
        asset = plan_asset.build_plan_asset(self.export, self.audiences)
        return self._materialize(asset, {"ops": {asset.op.name: {"config": {"confirm": confirm}}}})

    def apply(self) -> float:
        return self._materialize(build_apply_asset(self.export), None)

    def _materialize(self, asset, run_config) -> float:
        began = time.perf_counter()
        quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
        result = dg.materialize([asset], instance=self.instance, run_config={**(run_config or {}), **quiet},
                                resources={"warehouse": self.warehouse, "rest": self.rest})
        seconds = time.perf_counter() - began
        checks = result.get_asset_check_evaluations()
        if checks and not checks[0].passed:
            raise RuntimeError(f"the plan was refused: {checks[0].description}")
        return seconds


def check_list(sandbox: ChildSandbox, list_id: int, expected: dict[str, str], label: str) -> str:
    return sandbox.check_list(list_id, FIELD, digest(expected.items()), label)


def report_step(label: str, seconds: float, rows: int, backfill_seconds: float | None = None) -> None:
    against = f", {seconds / backfill_seconds:6.1%} of the backfill's plan+apply" if backfill_seconds else ""
    print(f"  {label:38} {seconds:7.2f} s  {rows:9,} rows  {seconds / rows * 1e3:7.3f} ms/row{against}", flush=True)


def run_engine(name: str, url: str, sandbox: ChildSandbox, rest: CampaignRestResource, bodies: list[bytes],
               threads: int, list_id: int, scratch: Path, members: int, settings: list[str]) -> None:
    print(f"{name}: load average {load_average()}", flush=True)
    reference_list = list_id + 10_000
    bench = ExportBench(url, rest, list_id, scratch, members)
    if settings and bench.warehouse.dialect == "duckdb":
        @sa.event.listens_for(sa.engine.Engine, "connect")  # any engine: Dagster copies the resource
        def _set(dbapi_connection, _record) -> None:
            for setting in settings if hasattr(dbapi_connection, "from_arrow") else ():
                name, value = setting.split("=", 1)
                dbapi_connection.execute(f"SET {name} = '{value}'")
        print(f"  DuckDB settings on every connection: {', '.join(settings)}")
    cpu = CpuMeter(sandbox, bench.warehouse, members)
    with cpu.measure("reference"):
        seconds = send_reference(sandbox, reference_list, bodies, threads)
    reference_rate = members / seconds
    print(f"  reference (bare httpx, {threads} threads)    {seconds:7.2f} s  {reference_rate:9,.0f} recipients/s")
    print("  " + check_list(sandbox, reference_list, bench.expected, "reference"))
    sandbox.drop_list(reference_list)

    sandbox.create_list(list_id, LIST_FIELDS)
    print(f"  members bulk-loaded into {audience_members.fullname} in {bench.load_members():.2f} s", flush=True)
    watch = Stopwatch(*TIMED)
    try:
        plan_seconds = bench.plan(confirm=True)
        plan_split = watch.summary()
        watch.reset()
        thread_cpu = ThreadCpu(*THREAD_CPU)
        try:
            with GcPauses() as gc_pauses, ThreadsCpu() as threads_cpu, cpu.measure("apply"):
                apply_seconds = bench.apply()
        finally:
            thread_cpu.restore()
        apply_split = watch.summary()
        total = plan_seconds + apply_seconds
        print(f"  product plan (first backfill, confirmed)  {plan_seconds:7.2f} s  [{plan_split}]")
        print(f"  product apply ({apply_asset.rest_share_per_step()[0]} connections)         {apply_seconds:7.2f} s  "
              f"{members / apply_seconds:9,.0f} recipients/s  [{apply_split}]")
        print(f"    {watch.trend('record_batches')}; {watch.trend('send_batch (threads)')}; {gc_pauses}")
        print(f"    {cpu}; of this process's, in {thread_cpu.per_thousand(members)}")
        print(f"    this process's CPU ms per 1000 recipients by thread: {threads_cpu.per_thousand(members)}")
        print(f"  product plan+apply                        {total:7.2f} s  {members / total:9,.0f} recipients/s")
        print(f"  ratio to the reference: apply {members / apply_seconds / reference_rate:.0%}, plan+apply "
              f"{members / total / reference_rate:.0%} (target >= 90%)")
        print("  " + check_list(sandbox, list_id, bench.expected, "product backfill"), flush=True)
        for label, share, offset in (("1% change", 100, 0), ("0.1% change", 1000, 1)):
            # Half exits, half entries; the exits of the two changes never meet (offset 0 and 1).
            exits = list(range(offset, members, 2 * share))
            entries = len(exits)
            bench.change(exits, entries)
            watch.reset()
            plan_seconds = bench.plan(confirm=False)
            apply_seconds = bench.apply()
            rows = len(exits) + entries
            print(f"  {label}: {len(exits):,} exits + {entries:,} entries, plan {plan_seconds:.2f} s + "
                  f"apply {apply_seconds:.2f} s ({apply_seconds / rows * 1e3:.2f} ms per changed row)  [{watch.summary()}]")
            report_step(f"{label} plan+apply", plan_seconds + apply_seconds, rows, total)
            print("  " + check_list(sandbox, list_id, bench.expected, label), flush=True)
        report_step("backfill plan+apply", total, members)
    finally:
        watch.restore()
        bench.instance.dispose()
        sandbox.drop_list(list_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--engines", nargs="+", choices=["duckdb", "postgresql"], default=["duckdb", "postgresql"])
    parser.add_argument("--postgres-url", default=os.environ.get("EPISERVER_TEST_POSTGRES_URL"))
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4, 10, 20, 40])
    parser.add_argument("--sweep-requests", type=int, default=100, help="requests per thread count in the sweep")
    parser.add_argument("--duckdb-set", nargs="*", default=[], metavar="NAME=VALUE",
                        help="what-if: DuckDB settings made on every connection the product opens")
    parser.add_argument("--apply-connections", type=int,
                        help="what-if: the apply's concurrency instead of its share of the campaign_rest pool")
    args = parser.parse_args()
    if args.members % BATCH or args.members < 2 * BATCH:
        parser.error(f"--members must be a multiple of {BATCH}, at least {2 * BATCH}")
    if args.apply_connections:
        share = rest_share_per_step()
        apply_asset.rest_share_per_step = lambda: (args.apply_connections, share[1])
    try:
        run(args)
    finally:
        apply_asset.rest_share_per_step = rest_share_per_step


def run(args: argparse.Namespace) -> None:
    print(f"export backfill of {args.members:,} members; load average {load_average()}", flush=True)
    bodies = reference_bodies(args.members)
    server = None
    with ChildSandbox() as sandbox, tempfile.TemporaryDirectory() as scratch:
        rest = CampaignRestResource(rest_url=sandbox.rest_url, client_id=str(CLIENT_ID), api_user=USER,
                                    api_password=PASSWORD)
        threads = sweep(sandbox, bodies[: args.sweep_requests], args.threads)
        print(f"  best reference thread count: {threads}", flush=True)
        try:
            for number, engine in enumerate(args.engines):
                if engine == "duckdb":
                    url = f"duckdb:///{scratch}/warehouse.duckdb"
                else:
                    if not args.postgres_url:
                        if not find_postgres_bin():
                            print("PostgreSQL: skipped (no --postgres-url and no initdb)")
                            continue
                        server = ThrowawayPostgres(find_postgres_bin())
                        args.postgres_url = server.start()
                    url = args.postgres_url
                run_engine("DuckDB" if engine == "duckdb" else "PostgreSQL", url, sandbox, rest, bodies, threads,
                           900_000 + number, Path(scratch), args.members, args.duckdb_set)
        finally:
            if server is not None:
                server.stop()
    print(f"load average at the end {load_average()}; peak RSS of this process: {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
