"""Two writers replacing the same (table, day) at the same moment, round after round: after every
round the partition holds exactly one writer's rows. Writers are real processes (two runs) or threads
of one process (Dagster's in-process executor); a barrier starts both replaces of a round together.

The same race with the replace written as it was before the partition lock (delete then insert, no
lock) must go wrong, so the checks are shown to catch the bug.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import queue
import threading
from collections import Counter

import pyarrow as pa
import pytest
import sqlalchemy as sa

from episerver_assets.warehouse import WarehouseResource
from episerver_assets.warehouse.bulk_load import load_arrow

DAY = dt.date(2026, 11, 1)
ROWS = {"a": 3000, "b": 2000}
ROUNDS = 30
BARRIER_SECONDS = 60


def race_table() -> sa.Table:
    return sa.Table(
        "replace_race",
        sa.MetaData(),
        sa.Column("writer", sa.Text, nullable=False),
        sa.Column("n", sa.BigInteger, nullable=False),
        sa.Column("partition_date", sa.Date, nullable=False),
        schema="closed_loop",
    )


def writer_rows(writer: str) -> pa.Table:
    count = ROWS[writer]
    return pa.table({
        "writer": [writer] * count,
        "n": pa.array(range(count), pa.int64()),
        "partition_date": pa.array([DAY] * count, pa.date32()),
    })


def replace_without_lock(warehouse: WarehouseResource, table: sa.Table, rows: pa.Table) -> None:
    """replace_partition as it was before the partition lock."""
    with warehouse.begin() as connection:
        connection.execute(sa.delete(table).where(table.c.partition_date == DAY))
        load_arrow(connection, table, rows)


def _writer(url: str, writer: str, locked: bool, start, done, stop, errors) -> None:
    """One writer: each round, replace the day with its own rows as soon as the round starts."""
    warehouse, table, rows = WarehouseResource(url=url), race_table(), writer_rows(writer)
    while True:
        start.wait()
        if stop.is_set():
            return
        try:
            if locked:
                warehouse.replace_partition(table, "partition_date", DAY, rows)
            else:
                replace_without_lock(warehouse, table, rows)
        except Exception as error:  # reported to the test, which counts it as a broken round
            errors.put(f"{writer}: {type(error).__name__}: {str(error).splitlines()[0]}")
        done.wait()


def _partition_contents(warehouse: WarehouseResource) -> Counter:
    frame = warehouse.read_frame(
        "SELECT writer, count(*) AS rows FROM closed_loop.replace_race WHERE partition_date = :day GROUP BY writer",
        day=DAY,
    )
    return Counter(dict(zip(frame["writer"], frame["rows"].astype(int))))


def race(url: str, kind: str, locked: bool, rounds: int, stop_at_first_fault: bool = False) -> list[str]:
    """Race writers a and b for up to `rounds` rounds; returns a description of each faulty round."""
    warehouse = WarehouseResource(url=url)
    warehouse.ensure_table(race_table())
    if kind == "processes":
        context = multiprocessing.get_context("spawn")
        start, done = context.Barrier(3, timeout=BARRIER_SECONDS), context.Barrier(3, timeout=BARRIER_SECONDS)
        stop, errors, spawn = context.Event(), context.SimpleQueue(), context.Process
    else:
        start, done = threading.Barrier(3, timeout=BARRIER_SECONDS), threading.Barrier(3, timeout=BARRIER_SECONDS)
        stop, errors, spawn = threading.Event(), queue.SimpleQueue(), threading.Thread
    writers = [spawn(target=_writer, args=(url, name, locked, start, done, stop, errors)) for name in ROWS]
    for writer in writers:
        writer.start()
    faults = []
    try:
        for number in range(rounds):
            start.wait()
            done.wait()
            contents = _partition_contents(warehouse)
            failures = []
            while not errors.empty():
                failures.append(errors.get())
            if failures or contents not in ({"a": ROWS["a"]}, {"b": ROWS["b"]}):
                faults.append(f"round {number}: {dict(contents)} {failures}")
                if stop_at_first_fault:
                    break
        stop.set()
        start.wait()
    finally:
        for writer in writers:
            writer.join(timeout=BARRIER_SECONDS)
    assert not any(writer.is_alive() for writer in writers)
    return faults


@pytest.mark.parametrize("kind", ["processes", "threads"])
def test_racing_writers_leave_exactly_one_writers_rows(warehouse_url, kind):
    faults = race(warehouse_url, kind, locked=True, rounds=ROUNDS)
    assert not faults, f"{len(faults)} of {ROUNDS} rounds went wrong: {faults[:3]}"


@pytest.mark.parametrize(
    ("engine", "kind"),
    [("postgres", "processes"), ("postgres", "threads"), ("duckdb", "threads")],
)
def test_the_race_catches_a_replace_without_the_lock(request, engine, kind):
    """Without the lock the same race doubles rows (or, on DuckDB, fails on a write conflict).

    Not for DuckDB processes: its file lock already admits one writing process at a time.
    """
    url = request.getfixturevalue(f"{engine}_url")
    faults = race(url, kind, locked=False, rounds=200, stop_at_first_fault=True)
    assert faults, "200 unlocked rounds never overlapped: the race does not test anything"
