"""A run killed while it decrypts leaves neither its keyring nor any plaintext behind: the plaintext
is an anonymous file the kernel frees, and the next run sweeps the keyring and scratch directories."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from episerver_assets.defs.closed_loop.scratch import sweep_abandoned
from episerver_assets.pgp.keyring import KEYRING_PREFIX

from .pgp_support import alice, encrypt_day, pgp_env, write_day  # noqa: F401 (fixtures)
from .test_closed_loop_crash import _data_files, _first_line

DAY = dt.date(2026, 11, 10)
STALL_AFTER_BYTES = 64 * 1024

# The real load path, with the plaintext's spool stalled once it holds its first bytes; the keyring
# directory goes under argv[3].
RUN_UNTIL_DECRYPTING = f"""
import datetime as dt, sys, threading
from pathlib import Path
from episerver_assets.campaign.sftp import CampaignSftpResource
from episerver_assets.defs.closed_loop import spool
from episerver_assets.defs.closed_loop.day_load import load_days
from episerver_assets.pgp import keyring
from episerver_assets.warehouse import WarehouseResource

keyring.keyring_base = lambda: Path(sys.argv[3])
real_write = spool.DownloadSpool.write

def stalling_write(self, data):
    written = real_write(self, data)
    if self.remote.name.endswith(".csv") and self.tell() >= {STALL_AFTER_BYTES}:
        print("decrypting", self.remote.name, flush=True)
        threading.Event().wait()
    return written

spool.DownloadSpool.write = stalling_write
for _ in load_days(CampaignSftpResource.from_env(), WarehouseResource(url=sys.argv[1]),
                   [dt.date.fromisoformat(sys.argv[2])]):
    pass
"""


def test_a_killed_decrypting_run_leaves_no_keyring_and_no_plaintext(sandbox, sandbox_env, duckdb_url, tmp_path,
                                                                   alice, monkeypatch):
    pgp_env(monkeypatch, alice.keys())
    plain = write_day(sandbox.client_dir(1000) / "response", DAY, sandbox.config.seed, rows=20_000)
    marker = plain["mailingrecipients"].read_bytes().split(b"\n")[5]  # a record of the plaintext
    encrypt_day(plain, alice)
    temp = tmp_path / "tmp"
    temp.mkdir()
    keys = Path(tempfile.mkdtemp(prefix="pgp-test-"))  # short: gpg-agent's socket path has a length limit
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", RUN_UNTIL_DECRYPTING, duckdb_url, DAY.isoformat(), str(keys)],
            env={**os.environ, "TMPDIR": str(temp)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert _first_line(process, timeout=60).startswith("decrypting ")
            [keyring] = keys.iterdir()
            assert keyring.name.startswith(KEYRING_PREFIX) and (keyring.stat().st_mode & 0o777) == 0o700
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            process.stdout.close()
            process.stderr.close()

        assert _data_files(temp) == []  # the plaintext spool was anonymous: nothing to find
        assert not any(marker in p.read_bytes() for p in _data_files(keys))
        assert sweep_abandoned(keys, KEYRING_PREFIX) == [keyring]  # what the next run does first
        assert list(keys.iterdir()) == []
        assert len(sweep_abandoned(temp)) == 1
    finally:
        shutil.rmtree(keys, ignore_errors=True)
