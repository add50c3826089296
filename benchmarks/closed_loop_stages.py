"""One measured stage of the closed-loop ingest benchmark, run in a fresh process by closed_loop_ingest.py.

    .venv/bin/python benchmarks/closed_loop_stages.py STAGE DIRECTORY DAY [--url URL] [--sftp JSON]

Each stage prints one JSON line: rows, bytes, seconds (and sub-stage seconds where it has them) and the
process's own peak RSS, so that the generator, the SFTP server and the other stages never inflate it.
Stages: `imports` (the baseline RSS of the libraries), `download`, `parse_validate` (our reader's parse
and our validation run one after the other, each timed), `reader` (iter_response_batches end to end),
`load` (load_response_file, the assets' path, with the time inside the engine's insert timed) and
`reference` (the engine's own bulk load of the same files: DuckDB read_csv, PostgreSQL COPY).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow
from closed_loop_loads import response_files, stage_load, stage_reference
from closed_loop_memory import peak_rss_mib

from episerver_assets.defs.closed_loop.reader import (
    DEFAULT_BATCH_ROWS,
    iter_response_batches,
)
from episerver_assets.defs.closed_loop.reader.arrow_batches import raw_batches
from episerver_assets.defs.closed_loop.reader.header import Header
from episerver_assets.defs.closed_loop.reader.source import file_bytes
from episerver_assets.defs.closed_loop.reader.structure import StrictParser
from episerver_assets.defs.closed_loop.schemas import validate_batch


def stage_download(directory: Path, sftp: dict) -> dict:
    from episerver_assets.campaign.sftp import CampaignSftpResource

    client = CampaignSftpResource(**sftp["resource"])
    total = 0
    start = time.perf_counter()
    with client.open_session() as session:
        for remote in session.list(sftp["remote_dir"]):
            total += session.download(f"{sftp['remote_dir']}/{remote.name}", directory / remote.name).size
    return {"bytes": total, "seconds": time.perf_counter() - start}


def stage_parse_validate(directory: Path) -> dict:
    """Our reader's strict parse and our validation, serially (no read-ahead), each timed on its own."""
    rows, parse, validate = 0, 0.0, 0.0
    for path, table in response_files(directory):
        with file_bytes(path) as source:
            header = Header(source, path.name, table)
            parser = StrictParser(list(table.column_names))
            raws = raw_batches(path.name, source, header.leftover, parser, DEFAULT_BATCH_ROWS)
            rows, parse, validate = _parse_validate(path, table, raws, rows, parse, validate)
    return {"rows": rows, "seconds": parse + validate, "parse": parse, "validate": validate}


def _parse_validate(path: Path, table, raws, rows: int, parse: float, validate: float):
    while True:
        started = time.perf_counter()
        raw = next(raws, None)
        parse += time.perf_counter() - started
        if raw is None:
            return rows, parse, validate
        started = time.perf_counter()
        _, failures = validate_batch(table, raw)
        validate += time.perf_counter() - started
        if failures:
            raise SystemExit(f"{path.name}: generated data failed validation: {failures[0]}")
        rows += raw.num_rows


def stage_reader(directory: Path) -> dict:
    rows = 0
    start = time.perf_counter()
    for path, table in response_files(directory):
        rows += sum(batch.num_rows for batch in iter_response_batches(path, table))
    return {"rows": rows, "seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", choices=["imports", "download", "parse_validate", "reader", "load", "reference"])
    parser.add_argument("directory", type=Path)
    parser.add_argument("day", type=dt.date.fromisoformat)
    parser.add_argument("--url", help="warehouse URL for load and reference")
    parser.add_argument("--sftp", type=json.loads, help="download: resource options and remote_dir, as JSON")
    args = parser.parse_args()
    stages: dict[str, Callable[[], dict]] = {
        "imports": lambda: {"seconds": 0.0},
        "download": lambda: stage_download(args.directory, args.sftp),
        "parse_validate": lambda: stage_parse_validate(args.directory),
        "reader": lambda: stage_reader(args.directory),
        "load": lambda: stage_load(args.directory, args.day, args.url),
        "reference": lambda: stage_reference(args.directory, args.day, args.url),
    }
    cpu_start = time.process_time()
    result = stages[args.stage]()
    arrow_peak_mib = pyarrow.default_memory_pool().max_memory() / 2**20  # our batches, not the engine's cache
    print(json.dumps({**result, "cpu_seconds": time.process_time() - cpu_start, "peak_rss_mib": peak_rss_mib(),
                      "arrow_peak_mib": arrow_peak_mib}))


if __name__ == "__main__":
    main()
