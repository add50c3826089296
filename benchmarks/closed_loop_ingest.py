"""Closed-loop ingest end to end: sandbox files over SFTP, validated and loaded into DuckDB and PostgreSQL.

    .venv/bin/python benchmarks/closed_loop_ingest.py [--rows 10000000] [--memory-rows 1000000]
        [--repeat 1] [--postgres-url URL] [--keep-dir DIR]

For each size (--memory-rows, then --rows) the sandbox generator writes one day of the eight response
files into an SFTP root; the files are downloaded over SFTP (the campaign client against the sandbox
server on loopback), parsed and validated by our reader, and loaded by `load_response_file` (the path
the Dagster assets use). In the same run each engine's own bulk load of the same local files is the
reference: DuckDB `read_csv` + INSERT, PostgreSQL `COPY FROM STDIN`, into tables of our exact definition.
Every stage runs in a fresh process that reports its own peak RSS and Arrow memory-pool peak (see
closed_loop_stages.py), so the two sizes show whether memory stays flat as the files grow. The SFTP
server runs in this process, as a remote server would in another; on 2 cores it shares the CPU with
the download. Wall times on a shared machine vary by some 20%: --repeat takes the best of N runs,
and PostgreSQL's server CPU seconds are printed as the steadier measure of the engine's work.

Target (the issue): end to end (`load_response_file` from the local file) at least 70% of the
reference rate per engine; peak RSS under 1.5 GiB and flat. Without --postgres-url (or
EPISERVER_TEST_POSTGRES_URL) a throwaway PostgreSQL is started when initdb exists. With a URL, the
benchmark replaces the 2020-01-02 partitions of the closed_loop tables and of closed_loop_reference.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from closed_loop_report import print_report

from episerver_assets.sandbox.generator import sizes_for_total_rows, write_response_day
from episerver_assets.sandbox.sftp_server import BackgroundSftpServer
from episerver_assets_tests.postgres_server import ThrowawayPostgres, find_postgres_bin

DAY = dt.date(2020, 1, 2)
SEED = 7
SFTP_USER, SFTP_PASSWORD = "bench", "bench-secret"
STAGES_SCRIPT = Path(__file__).with_name("closed_loop_stages.py")


def run_stage(stage: str, directory: Path, *options: str, label: str = "") -> dict:
    """One stage in a fresh interpreter; its JSON line, or the stage's error output and exit."""
    command = [sys.executable, str(STAGES_SCRIPT), stage, str(directory), DAY.isoformat(), *options]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"stage {stage} failed:\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    progress(f"{stage} {label}", result["seconds"])
    return result


def progress(step: str, seconds: float) -> None:
    print(f"  {step:<24} {seconds:8.2f} s", flush=True)


def generate(directory: Path, rows: int) -> dict:
    """One day of files for `rows` total rows, reused when --keep-dir already holds them."""
    marker = directory / ".generated"
    if marker.exists() and json.loads(marker.read_text()).get("rows") == rows:
        return json.loads(marker.read_text())
    shutil.rmtree(directory, ignore_errors=True)
    start = time.perf_counter()
    written = write_response_day(directory, DAY, SEED, sizes_for_total_rows(rows))
    result = {
        "rows": rows,
        "file_rows": sum(w.rows for w in written.values()),
        "bytes": sum(w.path.stat().st_size for w in written.values()),
        "seconds": time.perf_counter() - start,
    }
    marker.write_text(json.dumps(result))
    return result


def sftp_options(server: BackgroundSftpServer, known_hosts: Path, remote_dir: str) -> str:
    resource = {"port": server.port, "username": SFTP_USER, "password": SFTP_PASSWORD,
                "known_hosts_path": str(known_hosts), "operation_timeout": 300.0}
    return json.dumps({"resource": resource, "remote_dir": remote_dir})


def measure_size(work: Path, rows: int, server: BackgroundSftpServer, known_hosts: Path,
                 engines: dict[str, str], repeat: int) -> dict:
    """Every stage for one day of `rows` rows; the figures by stage name."""
    label = f"{rows // 1000}k"
    print(f"{rows:,} rows:", flush=True)
    figures = {"generate": generate(server.server.root / label, rows)}
    progress("generate", figures["generate"]["seconds"])
    local = work / f"download_{label}"
    shutil.rmtree(local, ignore_errors=True)
    local.mkdir(parents=True)
    figures["download"] = run_stage("download", local, "--sftp", sftp_options(server, known_hosts, label))
    figures["parse_validate"] = run_stage("parse_validate", local)
    figures["reader"] = run_stage("reader", local)
    for engine, url in engines.items():
        for _ in range(repeat):  # alternating, so that both see the machine alike; the best run counts
            for stage in ("load", "reference"):
                if engine == "duckdb":
                    database = work / f"warehouse_{label}_{stage}.duckdb"
                    for stale in (database, database.with_suffix(".duckdb.wal")):
                        stale.unlink(missing_ok=True)
                    url = f"duckdb:///{database}"
                result = run_stage(stage, local, "--url", url, label=engine)
                best = figures.setdefault(f"{engine}_{stage}", result)
                peaks = {key: max(best[key], result[key]) for key in ("peak_rss_mib", "arrow_peak_mib")}
                figures[f"{engine}_{stage}"] = {**min(best, result, key=lambda r: r["seconds"]), **peaks}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows in the day's eight files")
    parser.add_argument("--memory-rows", type=int, default=1_000_000,
                        help="a second, smaller day whose peak RSS is compared with --rows' (0 to skip)")
    parser.add_argument("--postgres-url", default=os.environ.get("EPISERVER_TEST_POSTGRES_URL"))
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each load and reference (alternating); the fastest counts")
    parser.add_argument("--keep-dir", type=Path, help="work here and keep the files (reused by the next run)")
    args = parser.parse_args()

    work = args.keep_dir or Path(tempfile.mkdtemp(prefix="closed-loop-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    postgres = None
    if not args.postgres_url and find_postgres_bin():
        postgres = ThrowawayPostgres(find_postgres_bin())
        args.postgres_url = postgres.start()
    engines = {"duckdb": "", **({"postgres": args.postgres_url} if args.postgres_url else {})}
    server = BackgroundSftpServer(work / "sftp", users={SFTP_USER: SFTP_PASSWORD}, host_key_path=work / "host_key")
    sizes = sorted({rows for rows in (args.memory_rows, args.rows) if rows})
    load_before = os.getloadavg()[0]
    try:
        server.start()
        known_hosts = server.write_known_hosts(work / "known_hosts")
        baseline = run_stage("imports", work)
        results = {rows: measure_size(work, rows, server, known_hosts, engines, args.repeat) for rows in sizes}
    finally:
        server.stop()
        if postgres:
            postgres.stop()
        if not args.keep_dir:
            shutil.rmtree(work, ignore_errors=True)
    if "postgres" not in engines:
        print("PostgreSQL skipped: no --postgres-url and no initdb on this machine")
    print_report(results, args.rows, baseline, (load_before, os.getloadavg()[0]))


if __name__ == "__main__":
    main()
