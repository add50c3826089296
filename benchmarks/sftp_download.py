"""MB/s of one large download from the sandbox's SFTP server, running in its own process.

    .venv/bin/python benchmarks/sftp_download.py [--mib 1024]

The reference in the same run is a local file copy of the same bytes (what the disk allows).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from episerver_assets.campaign.sftp import CampaignSftpResource  # noqa: E402

MIB = 1 << 20
USER, PASSWORD = "bench", "bench-secret"
SERVER = """
import sys
from pathlib import Path
from episerver_assets.sandbox.sftp_server import BackgroundSftpServer
root, host_key, user, password = sys.argv[1:]
server = BackgroundSftpServer(Path(root), users={user: password}, host_key_path=Path(host_key)).start()
print(server.port, server.host_key_fingerprint, flush=True)
sys.stdin.read()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mib", type=int, default=1024)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        (root / "response").mkdir(parents=True)
        source = root / "response" / "big.csv"
        block = os.urandom(MIB)
        with source.open("wb") as out:
            for _ in range(args.mib):
                out.write(block)
        started = time.perf_counter()
        shutil.copyfile(source, Path(tmp) / "copy.csv")
        copy_rate = args.mib * MIB / 1e6 / (time.perf_counter() - started)

        command = [sys.executable, "-c", SERVER, str(root), str(Path(tmp) / "host_key"), USER, PASSWORD]
        with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as server:
            port, fingerprint = server.stdout.readline().split()
            client = CampaignSftpResource(port=int(port), username=USER, password=PASSWORD,
                                          host_key_fingerprint=fingerprint)
            started = time.perf_counter()
            client.download("response/big.csv", Path(tmp) / "big.csv")
            sftp_rate = args.mib * MIB / 1e6 / (time.perf_counter() - started)
            server.stdin.close()
        assert (Path(tmp) / "big.csv").stat().st_size == args.mib * MIB
    print(f"SFTP download {args.mib} MiB over loopback: {sftp_rate:8.1f} MB/s")
    print(f"reference: local file copy:            {copy_rate:8.1f} MB/s  (SFTP at {sftp_rate / copy_rate:.0%})")


if __name__ == "__main__":
    main()
