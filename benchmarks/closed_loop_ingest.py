"""Closed-loop ingest end to end: a day of response files over SFTP, validated and loaded into DuckDB and
PostgreSQL, against the fastest the tools underneath can do.

    .venv/bin/python benchmarks/closed_loop_ingest.py [--rows 1000000 10000000] [--repeat 1]
        [--postgres-url URL] [--keep-dir DIR]

For each size the sandbox generator writes one day of the eight response files into the root of the
sandbox's SFTP server, which runs in a process of its own (closed_loop_transfer.py). Then, every stage
in a fresh process that reports its own peak RSS (closed_loop_stages.py, closed_loop_day_stages.py):

- transfer: OpenSSH's `sftp -b` and our client (`SftpSession.download_to` into plain files, as the
  run transfers, one session) fetch the same files from the same server with the same key; target:
  ours within 1.5x of OpenSSH's time. `SftpSession.download` (temporary file, fsync, rename) is shown too;
- end to end: the sensor's decision (two looks at the listing) and the run's `load_days` for the day
  (download, parse and validate while the bytes arrive, load), against the slower of two references:
  our plain transfer of the day's files (`download_to`, above), and the engine's own bulk load of the
  local files (DuckDB `read_csv` + INSERT, PostgreSQL CSV `COPY`); target: within 1.25x;
- load: `load_response_file` from the local files; on PostgreSQL against binary `COPY` of rows pgpq
  encoded beforehand (the fastest the server ingests); target: at least 75% of its rate;
- memory: every stage of ours under 1 GiB peak RSS, growing less than 128 MiB from the smallest day
  to the largest.

Wall times on a shared 2-core machine vary by some 20%: --repeat takes the best of N runs (stages
alternate, so that all see the machine alike), and CPU seconds (ours, and the server's: the SFTP
server for transfers, the PostgreSQL backend for loads) are printed as the steadier measure. Without
--postgres-url (or EPISERVER_TEST_POSTGRES_URL) a throwaway PostgreSQL is started when initdb exists.
With a URL, the benchmark replaces the 2020-01-02 partitions (and ledger rows) of the closed_loop
tables and of closed_loop_reference.
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
from closed_loop_transfer import SftpServerProcess, openssh_fetch

from episerver_assets.sandbox.generator import sizes_for_total_rows, write_response_day
from episerver_assets_tests.postgres_server import ThrowawayPostgres, find_postgres_bin

DAY = dt.date(2020, 1, 2)
SEED = 7
BENCHMARKS = Path(__file__).resolve().parent
DAY_STAGES = {"transfer", "end_to_end", "binary_copy"}
STAGE_ENV = {**os.environ, "EPISERVER_CLOSED_LOOP_START_DATE": "2020-01-01"}  # DAY has a partition


def run_stage(stage: str, directory: Path, *options: str, label: str = "",
              server: SftpServerProcess | None = None) -> dict | None:
    """One stage in a fresh interpreter: its JSON line, or None (and its error shown) if it failed."""
    script = BENCHMARKS / ("closed_loop_day_stages.py" if stage in DAY_STAGES else "closed_loop_stages.py")
    command = [sys.executable, str(script), stage, str(directory), DAY.isoformat(), *options]
    server_before = server.cpu_seconds() if server else 0.0
    done = subprocess.run(command, check=False, capture_output=True, text=True, env=STAGE_ENV)
    if done.returncode != 0:
        print(f"  {stage} {label} FAILED:\n{done.stderr[-3000:]}", flush=True)
        return None
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if server:
        result["sftp_server_cpu_seconds"] = server.cpu_seconds() - server_before
    progress(f"{stage} {label}", result["seconds"])
    return result


def progress(step: str, seconds: float) -> None:
    print(f"  {step:<24} {seconds:8.2f} s", flush=True)


def keep_best(figures: dict, name: str, result: dict | None) -> None:
    """The fastest run counts; peak memory is the worst of all runs."""
    if result is None:
        return
    best = figures.setdefault(name, result)
    peaks = {key: max(best[key], result[key]) for key in ("peak_rss_mib", "arrow_peak_mib") if key in result}
    figures[name] = {**min(best, result, key=lambda r: r["seconds"]), **peaks}


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
        "names": sorted(w.path.name for w in written.values()),
        "seconds": time.perf_counter() - start,
    }
    marker.write_text(json.dumps(result))
    return result


def warehouse_url(engine: str, url: str, work: Path, label: str, stage: str) -> str:
    """PostgreSQL's URL, or a fresh DuckDB file per stage (so no stage reads another's tables)."""
    if engine != "duckdb":
        return url
    database = work / f"warehouse_{label}_{stage}.duckdb"
    for stale in (database, database.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    return f"duckdb:///{database}"


def measure_size(work: Path, rows: int, server: SftpServerProcess, engines: dict[str, str], repeat: int) -> dict:
    """Every stage for one day of `rows` rows; the figures by stage name."""
    label = f"{rows // 1000}k"
    print(f"{rows:,} rows:", flush=True)
    figures = {"generate": generate(server.root / label, rows)}
    progress("generate", figures["generate"]["seconds"])
    local = work / f"download_{label}"
    shutil.rmtree(local, ignore_errors=True)
    local.mkdir(parents=True)
    for _ in range(repeat):
        reference = openssh_fetch(server, label, figures["generate"]["names"], work / f"openssh_{label}")
        progress("OpenSSH sftp", reference["seconds"])
        keep_best(figures, "openssh", reference)
        for stage in ("transfer", "download"):
            keep_best(figures, stage, run_stage(stage, local, "--sftp", server.sftp_json(label), server=server))
    for stage in ("parse_validate", "reader"):
        keep_best(figures, stage, run_stage(stage, local))
    for engine, url in engines.items():
        stages = ["end_to_end", "load", "reference"] + (["binary_copy"] if engine == "postgres" else [])
        for _ in range(repeat):
            for stage in stages:
                options = ["--url", warehouse_url(engine, url, work, label, stage)]
                if stage == "end_to_end":
                    options += ["--sftp", server.sftp_json(label)]
                keep_best(figures, f"{engine}_{stage}", run_stage(stage, local, *options, label=engine, server=server))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000],
                        help="total rows of each day measured (the eight files together); default 1 M and 10 M")
    parser.add_argument("--postgres-url", default=os.environ.get("EPISERVER_TEST_POSTGRES_URL"))
    parser.add_argument("--repeat", type=int, default=1, help="runs of each stage (alternating); the fastest counts")
    parser.add_argument("--keep-dir", type=Path, help="work here and keep the files (reused by the next run)")
    args = parser.parse_args()

    work = args.keep_dir or Path(tempfile.mkdtemp(prefix="closed-loop-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    postgres = None
    if not args.postgres_url and find_postgres_bin():
        postgres = ThrowawayPostgres(find_postgres_bin())
        args.postgres_url = postgres.start()
    engines = {"duckdb": "", **({"postgres": args.postgres_url} if args.postgres_url else {})}
    load_before = os.getloadavg()[0]
    try:
        with SftpServerProcess(work / "sftp", work) as server:
            baseline = run_stage("imports", work)
            results = {rows: measure_size(work, rows, server, engines, args.repeat) for rows in sorted(set(args.rows))}
    finally:
        if postgres:
            postgres.stop()
        if not args.keep_dir:
            shutil.rmtree(work, ignore_errors=True)
    if "postgres" not in engines:
        print("PostgreSQL skipped: no --postgres-url and no initdb on this machine")
    print_report(results, baseline, (load_before, os.getloadavg()[0]))


if __name__ == "__main__":
    main()
