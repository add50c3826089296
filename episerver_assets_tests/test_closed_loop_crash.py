"""A run killed mid-download leaves no downloaded bytes behind, and the next run sweeps what is left."""

from __future__ import annotations

import datetime as dt
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from episerver_assets.defs.closed_loop.scratch import sweep_abandoned
from episerver_assets.sandbox.generator import sizes_for_total_rows, write_response_day

DAY = dt.date(2026, 11, 10)
STALL_AFTER_BYTES = 64 * 1024

# The real load path, with the download stalled once a file has received its first bytes: the
# parent kills the process at that known point, told so on stdout.
RUN_UNTIL_STALLED = f"""
import datetime as dt, sys, threading
from episerver_assets.campaign.sftp import CampaignSftpResource
from episerver_assets.defs.closed_loop import spool
from episerver_assets.defs.closed_loop.day_load import load_days
from episerver_assets.warehouse import WarehouseResource

real_write = spool.DownloadSpool.write

def stalling_write(self, data):
    written = real_write(self, data)
    if self.tell() >= {STALL_AFTER_BYTES}:
        print("stalled", self.remote.name, flush=True)
        threading.Event().wait()
    return written

spool.DownloadSpool.write = stalling_write
for _ in load_days(CampaignSftpResource.from_env(), WarehouseResource(url=sys.argv[1]),
                   [dt.date.fromisoformat(sys.argv[2])]):
    pass
"""


def _first_line(process: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            return process.stdout.readline()
        assert process.poll() is None, process.stderr.read()
    raise AssertionError("the run never reached its download")


def _data_files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file() and not p.is_symlink() and p.stat().st_size > 0]


def test_a_killed_run_leaves_no_downloaded_bytes(sandbox, sandbox_env, duckdb_url, tmp_path):
    write_response_day(sandbox.client_dir(1000) / "response", DAY, sandbox.config.seed,
                       sizes_for_total_rows(20_000), client_id=1000)
    temp = tmp_path / "tmp"
    temp.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_UNTIL_STALLED, duckdb_url, DAY.isoformat()],
        env={**os.environ, **sandbox_env, "TMPDIR": str(temp)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert _first_line(process, timeout=60).startswith("stalled ")
        open_files = [os.readlink(f"/proc/{process.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{process.pid}/fd")]
        assert any(f.startswith(str(temp)) and f.endswith("(deleted)") for f in open_files)  # anonymous
        assert _data_files(temp) == []
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        process.stdout.close()
        process.stderr.close()

    assert _data_files(temp) == []
    abandoned = list(temp.iterdir())
    assert len(abandoned) == 1  # the scratch directory: a lock file and dangling links
    assert sweep_abandoned(temp) == abandoned  # what the next run does first
    assert list(temp.iterdir()) == []
