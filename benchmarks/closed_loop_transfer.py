"""The SFTP side of the closed-loop ingest benchmark: the sandbox's server in a process of its own,
OpenSSH's `sftp` client fetching a day's files from it as the transfer reference, and our client's
transfer of the same files as the run does it (`SftpSession.download_to` into plain files, one session,
no fsync: what OpenSSH's client does too).

The server runs in its own interpreter so that the client measured (ours or OpenSSH's) never shares
a GIL with it. Both clients authenticate with the same ed25519 key and verify the same host key.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

SFTP_USER = "bench"
OPENSSH_SFTP = shutil.which("sftp")
SERVER_SCRIPT = """
import sys
from pathlib import Path
from episerver_assets.sandbox.sftp_server import BackgroundSftpServer
root, host_key, public_key, known_hosts, user = sys.argv[1:]
server = BackgroundSftpServer(Path(root), users={user: None}, authorized_client_keys=[Path(public_key)],
                              host_key_path=Path(host_key)).start()
server.write_known_hosts(Path(known_hosts))
print(server.port, flush=True)
sys.stdin.read()  # until the benchmark closes our stdin
server.stop()
"""


def _client_key(work: Path) -> tuple[Path, Path]:
    import asyncssh

    private, public = work / "client_ed25519", work / "client_ed25519.pub"
    if not private.exists():
        key = asyncssh.generate_private_key("ssh-ed25519")
        private.write_bytes(key.export_private_key("openssh"))
        private.chmod(0o600)  # OpenSSH refuses a key others can read
        public.write_bytes(key.export_public_key("openssh"))
    return private, public


class SftpServerProcess:
    """`with SftpServerProcess(root, work) as server:` serves `root` until the block ends."""

    def __init__(self, root: Path, work: Path) -> None:
        self.root, self.work = root, work
        self.private_key, self.public_key = _client_key(work)
        self.known_hosts = work / "known_hosts"
        self.port = 0
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> SftpServerProcess:
        self.root.mkdir(parents=True, exist_ok=True)
        arguments = [self.root, self.work / "host_key", self.public_key, self.known_hosts, SFTP_USER]
        self._process = subprocess.Popen(
            [sys.executable, "-c", SERVER_SCRIPT, *map(str, arguments)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        )
        line = self._process.stdout.readline()
        if not line:
            raise SystemExit("the SFTP server process did not start")
        self.port = int(line)
        return self

    def __exit__(self, *exc_info) -> None:
        assert self._process is not None
        self._process.stdin.close()
        self._process.wait(timeout=30)

    def cpu_seconds(self) -> float:
        """CPU seconds the server process has used so far."""
        assert self._process is not None
        fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def resource_options(self, remote_dir: str) -> dict:
        """CampaignSftpResource options for our client (what a stage process gets as JSON)."""
        return {"port": self.port, "username": SFTP_USER, "private_key_path": str(self.private_key),
                "known_hosts_path": str(self.known_hosts), "operation_timeout": 300.0,
                "response_dir": remote_dir}

    def sftp_json(self, remote_dir: str) -> str:
        return json.dumps({"resource": self.resource_options(remote_dir), "remote_dir": remote_dir})


def stage_transfer(directory: Path, sftp: dict) -> dict:
    """Our client fetching the day's files into `directory`, one session, file after file."""
    from episerver_assets.campaign.sftp import CampaignSftpResource

    client = CampaignSftpResource(**sftp["resource"])
    start = time.perf_counter()
    with client.open_session() as session:
        for remote in session.list(sftp["remote_dir"]):
            with (directory / remote.name).open("wb") as out:
                session.download_to(f"{sftp['remote_dir']}/{remote.name}", out)
        received = session.bytes_received
    return {"bytes": received, "seconds": time.perf_counter() - start}


def openssh_fetch(server: SftpServerProcess, remote_dir: str, names: list[str], target: Path) -> dict:
    """OpenSSH's `sftp -b` fetching `names` from `remote_dir` in one session; wall and CPU seconds."""
    if OPENSSH_SFTP is None:
        raise SystemExit("OpenSSH's sftp client is missing (apt-get install openssh-client)")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    batch = target.parent / f"{target.name}.batch"
    batch.write_text("".join(f"get /{remote_dir}/{name} {target / name}\n" for name in names))
    command = [OPENSSH_SFTP, "-q", "-b", str(batch), "-P", str(server.port), "-i", str(server.private_key),
               "-o", f"UserKnownHostsFile={server.known_hosts}", "-o", "StrictHostKeyChecking=yes",
               "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", f"{SFTP_USER}@127.0.0.1"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before, started = server.cpu_seconds(), time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, timeout=3600)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    received = sum((target / name).stat().st_size for name in names)
    shutil.rmtree(target, ignore_errors=True)
    return {"bytes": received, "seconds": seconds, "sftp_server_cpu_seconds": server.cpu_seconds() - server_before,
            "cpu_seconds": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime}
