"""PGP throughput and memory on a large file: the product's streaming paths against the gpg CLI.

    .venv/bin/python benchmarks/pgp_stream.py --size-mib 1024 [--work DIR] [--sequoia-python PATH]

Makes a throwaway key pair (passphrase-protected) and a CSV-like plaintext of `--size-mib` MiB, then,
each in a fresh process so that peaks do not mix:

- `product encrypt`: `pgp.encrypt_for_upload`, what the closed-loop send runs (file to file);
- `product decrypt`: the closed loop's path: the encrypted file fed into a download spool in 1 MiB
  writes (as the SFTP download does), `decryption.readable_spool` decrypting it into the plaintext
  spool, which is read to its end as the strict reader would;
- `gpg CLI encrypt` / `gpg CLI decrypt`: `gpg -e` / `gpg -d` on the same files, same key, defaults.

Peak RSS: VmHWM of the stage's Python process, and of each gpg process it ran (sampled from /proc
while gpg runs; VmHWM is a high-water mark, so a late sample still sees the peak). With
`--sequoia-python` (a Python that has `pysequoia`), the same file is also encrypted and decrypted with
Sequoia's binding (`encrypt_file` / `decrypt_file`: path to path; it cannot read a Python stream, so
it could decrypt a download only once it has finished).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

MIB = 1 << 20
PASSPHRASE = "benchmark passphrase"


def vm_hwm_mib(pid: int | str = "self") -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return None


class GpgPeaks:
    """Samples the peak RSS of every `gpg` process that is a child of `parent` while it runs."""

    def __init__(self, parent: int) -> None:
        self.parent, self.peaks = parent, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _children(self) -> list[int]:
        found = []
        for task in Path(f"/proc/{self.parent}/task").iterdir():
            try:
                found += [int(p) for p in (task / "children").read_text().split()]
            except FileNotFoundError:  # the thread ended meanwhile
                continue
        return found

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            for pid in self._children():
                try:
                    name = Path(f"/proc/{pid}/comm").read_text().strip()
                except FileNotFoundError:
                    continue
                peak = vm_hwm_mib(pid)
                if name == "gpg" and peak is not None:
                    self.peaks[pid] = max(self.peaks.get(pid, 0.0), peak)

    def __enter__(self) -> GpgPeaks:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak(self) -> float:
        return max(self.peaks.values(), default=0.0)


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def write_plaintext(path: Path, size: int) -> None:
    """CSV-like lines (ids, timestamps, some random text): compressible about as well as a response file."""
    rng = random.Random(7)
    words = [f"{rng.getrandbits(40):x}" for _ in range(5000)]
    day = dt.datetime(2026, 11, 10)
    lines = [f'"{i}";"{1000 + i % 977}";"{day + dt.timedelta(seconds=i * 7):%Y-%m-%d %H:%M:%S}";'
             f'"{words[i % 5000]}";"{words[(i * 31) % 5000]}"\n' for i in range(20_000)]
    block = "".join(lines).encode()
    with path.open("wb") as out:
        written = 0
        while written < size:
            piece = block[: size - written]
            out.write(piece)
            written += len(piece)


def _keys(work: Path):
    from episerver_assets.pgp import PgpKeys

    return PgpKeys(**json.loads((work / "keys.json").read_text()))


# The product is imported inside its stages only: the Sequoia stage runs in a Python without it.
def stage_product_encrypt(work: Path) -> dict:
    from episerver_assets.pgp import encrypt_for_upload

    local = work / "plain.csv"
    ready, cpu_ready = vm_hwm_mib(), cpu_seconds(resource.RUSAGE_SELF)
    start = time.perf_counter()
    encrypted = encrypt_for_upload(_keys(work), local)
    return {"seconds": time.perf_counter() - start, "output_bytes": encrypted.stat().st_size,
            "python_start_mib": ready, "python_cpu_at_start": cpu_ready}


def stage_product_decrypt(work: Path) -> dict:
    from episerver_assets.campaign.sftp import RemoteFile
    from episerver_assets.defs.closed_loop.decryption import readable_spool
    from episerver_assets.defs.closed_loop.spool import DownloadSpool
    from episerver_assets.pgp import isolated_keyring

    source = work / "plain.csv.pgp"
    remote = RemoteFile("20261110_clicks.csv.pgp", source.stat().st_size, dt.datetime.now(dt.timezone.utc))
    scratch = Path(tempfile.mkdtemp(dir=work))
    ready, cpu_ready = vm_hwm_mib(), cpu_seconds(resource.RUSAGE_SELF)
    with isolated_keyring(_keys(work)) as keyring:
        start = time.perf_counter()
        spool = DownloadSpool(remote, scratch)

        def download() -> None:  # the SFTP download's writes
            with source.open("rb") as stream:
                while chunk := stream.read(MIB):
                    spool.write(chunk)
            spool.finish()

        threading.Thread(target=download, daemon=True).start()
        received = 0
        with readable_spool(spool, keyring) as plain:
            reader = plain.reader()
            while chunk := reader.read(MIB):
                received += len(chunk)
        seconds = time.perf_counter() - start
        spool.close()
    shutil.rmtree(scratch)
    return {"seconds": seconds, "output_bytes": received, "python_start_mib": ready,
            "python_cpu_at_start": cpu_ready}


def stage_sequoia(work: Path) -> dict:
    from pysequoia import Cert, Tsk, decrypt_file, encrypt_file

    pair = json.loads((work / "keys.json").read_text())
    cert, secret = Cert.from_bytes(pair["public_key"].encode()), Tsk.from_bytes(pair["private_key"].encode())
    ready, cpu_ready = vm_hwm_mib(), cpu_seconds(resource.RUSAGE_SELF)
    start = time.perf_counter()
    encrypt_file(str(work / "plain.csv"), str(work / "sequoia.pgp"), recipients=[cert], armor=False)
    middle = time.perf_counter()
    # The same input as the other decrypt rows: gpg's message (compressed).
    decrypt_file(str(work / "plain.csv.pgp"), str(work / "sequoia.csv"), decryptor=secret.decryptor(
        pair["passphrase"]))
    end = time.perf_counter()
    return {"encrypt_seconds": middle - start, "decrypt_seconds": end - middle,
            "output_bytes": (work / "sequoia.csv").stat().st_size,
            "encrypted_bytes": (work / "sequoia.pgp").stat().st_size, "python_start_mib": ready,
            "python_cpu_at_start": cpu_ready}


STAGES = {"product-encrypt": stage_product_encrypt, "product-decrypt": stage_product_decrypt,
          "sequoia": stage_sequoia}


def run_stage(name: str, work: Path, python: str = sys.executable) -> dict:
    process = subprocess.Popen([python, __file__, "--stage", name, "--work", str(work)], stdout=subprocess.PIPE,
                               text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    with GpgPeaks(process.pid) as gpg:
        out, _ = process.communicate()
    if process.returncode:
        raise SystemExit(f"stage {name} failed ({process.returncode})")
    return {**json.loads(out.splitlines()[-1]), "gpg_peak_mib": gpg.peak}


def run_cli(work: Path, home: Path, arguments: list[str], passphrase: bool) -> dict:
    command = ["gpg", "--batch", "--yes", "--homedir", str(home), "--pinentry-mode", "loopback", *arguments]
    if passphrase:
        command[1:1] = ["--passphrase-fd", "0"]
    cpu_before = cpu_seconds(resource.RUSAGE_CHILDREN)  # every earlier child has been waited for
    start = time.perf_counter()
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with GpgPeaks(os.getpid()) as gpg:
        process.communicate(PASSPHRASE.encode() + b"\n" if passphrase else b"")
    if process.returncode:
        raise SystemExit(f"gpg {' '.join(arguments)} failed")
    return {"seconds": time.perf_counter() - start, "gpg_peak_mib": gpg.peaks.get(process.pid, gpg.peak),
            "gpg_cpu": cpu_seconds(resource.RUSAGE_CHILDREN) - cpu_before}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--stage", choices=sorted(STAGES))
    parser.add_argument("--sequoia-python", help="a Python with pysequoia installed")
    args = parser.parse_args()
    if args.stage:
        result = STAGES[args.stage](args.work)
        python_cpu = cpu_seconds(resource.RUSAGE_SELF) - result["python_cpu_at_start"]
        print(json.dumps({**result, "python_peak_mib": vm_hwm_mib(), "python_cpu": python_cpu,
                          "gpg_cpu": cpu_seconds(resource.RUSAGE_CHILDREN)}))
        return
    from episerver_assets.pgp import isolated_keyring
    from episerver_assets.pgp.generate import generate_key_pair

    work = Path(tempfile.mkdtemp(prefix="pgp-bench-", dir=args.work))
    try:
        pair = generate_key_pair("benchmark", PASSPHRASE)
        (work / "keys.json").write_text(json.dumps(
            {"private_key": pair.private_key, "passphrase": pair.passphrase, "public_key": pair.public_key}))
        size = args.size_mib * MIB
        write_plaintext(work / "plain.csv", size)
        rows = {"product encrypt": run_stage("product-encrypt", work),
                "product decrypt": run_stage("product-decrypt", work)}
        with isolated_keyring(_keys(work), work) as keyring:  # the CLI on an identical keyring
            rows["gpg CLI encrypt"] = run_cli(work, keyring.home, ["--trust-model", "always", "-r",
                                              pair.fingerprint, "-o", str(work / "cli.pgp"), "-e",
                                              str(work / "plain.csv")], passphrase=False)
            rows["gpg CLI decrypt"] = run_cli(work, keyring.home, ["-o", "/dev/null", "-d",
                                              str(work / "plain.csv.pgp")], passphrase=True)
        if args.sequoia_python:
            rows["sequoia (pysequoia)"] = run_stage("sequoia", work, args.sequoia_python)
        version = subprocess.check_output(["gpg", "--version"], text=True).split()[2]
        print(f"plaintext {size / MIB:.0f} MiB, encrypted {(work / 'plain.csv.pgp').stat().st_size / MIB:.0f} MiB "
              f"(gpg's default zlib compression); gpg {version}")
        print(f"{'path':<28}{'wall s':>7}{'MiB/s':>7}{'CPU s py+gpg':>14}{'py start/peak MiB':>19}"
              f"{'gpg peak MiB':>13}")
        for name, row in rows.items():
            for what in ("encrypt", "decrypt") if "encrypt_seconds" in row else ("",):
                seconds = row[f"{what}_seconds"] if what else row["seconds"]
                python, cpu = "-", f"{row['gpg_cpu']:.1f}"
                if "python_peak_mib" in row:
                    python = f"{row['python_start_mib']:.0f} / {row['python_peak_mib']:.0f}"
                    cpu = f"{row['python_cpu']:.1f} (both)" if what else f"{row['python_cpu']:.1f}+{row['gpg_cpu']:.1f}"
                gpg_peak = f"{row['gpg_peak_mib']:.0f}" if row.get("gpg_peak_mib") else "-"
                print(f"{(name + ' ' + what).strip():<28}{seconds:>7.1f}{size / MIB / seconds:>7.0f}{cpu:>14}"
                      f"{python:>19}{gpg_peak:>13}")
            if name.endswith("decrypt") and row.get("output_bytes", size) != size:
                raise SystemExit(f"{name}: {row['output_bytes']} bytes out, expected {size}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
