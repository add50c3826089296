"""The partition lock's key, and a replace that waits too long for a stuck writer."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading

import pytest

from episerver_assets.warehouse import WarehouseResource
from episerver_assets.warehouse.partition_lock import PartitionBusyError, partition_lock_key

from .test_warehouse_exclusive_replace import DAY, race_table, writer_rows

KEY_IN_A_FRESH_PROCESS = (
    "import datetime as dt; from episerver_assets.warehouse.partition_lock import partition_lock_key; "
    "print(partition_lock_key('closed_loop.clicks', dt.date(2026, 11, 1)))"
)


def test_lock_key_differs_per_table_and_partition():
    keys = {
        partition_lock_key(table, day)
        for table in ("closed_loop.clicks", "closed_loop.opens", "other.clicks")
        for day in (dt.date(2026, 11, 1), dt.date(2026, 11, 2), dt.date(2025, 11, 1))
    }
    assert len(keys) == 9
    assert all(-(2**63) <= key < 2**63 for key in keys)
    assert partition_lock_key("closed_loop.clicks", dt.date(2026, 11, 1)) == partition_lock_key(
        "closed_loop.clicks", "2026-11-01"
    ), "a date and its ISO text select the same rows, so they must share the lock"


def test_lock_key_is_the_same_in_every_process_and_release():
    """Runs of different processes (and of two releases during a deploy) must agree on the key."""
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    printed = subprocess.run(
        [sys.executable, "-c", KEY_IN_A_FRESH_PROCESS], env=env, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    here = partition_lock_key("closed_loop.clicks", dt.date(2026, 11, 1))
    assert int(printed) == here == 424123435308867890


def test_a_replace_waiting_for_a_stuck_writer_fails_naming_table_and_day(warehouse_url):
    table = race_table()
    stuck = WarehouseResource(url=warehouse_url)
    stuck.ensure_table(table)
    stuck.replace_partition(table, "partition_date", DAY, writer_rows("a"))
    holding, release = threading.Event(), threading.Event()

    def stuck_batches():
        holding.set()
        assert release.wait(timeout=60)
        yield writer_rows("b")

    writer = threading.Thread(target=stuck.replace_partition, args=(table, "partition_date", DAY, stuck_batches()))
    writer.start()
    try:
        assert holding.wait(timeout=60)
        impatient = WarehouseResource(url=warehouse_url, partition_lock_timeout_seconds=0.3)
        with pytest.raises(PartitionBusyError, match="partition 2026-11-01 of closed_loop.replace_race"):
            impatient.replace_partition(table, "partition_date", DAY, writer_rows("a"))
    finally:
        release.set()
        writer.join(timeout=60)
    assert stuck.read_frame("SELECT DISTINCT writer FROM closed_loop.replace_race")["writer"].tolist() == ["b"]
    assert stuck.row_count(table, "partition_date", DAY) == len(writer_rows("b"))
