"""The closed-loop ingest benchmark's stages that run a whole day or the server's fastest ingest, each
in a fresh process started by closed_loop_ingest.py (the other stages are in closed_loop_stages.py).

    .venv/bin/python benchmarks/closed_loop_day_stages.py STAGE DIRECTORY DAY [--url URL] [--sftp JSON]

Stages: `transfer` (our SFTP client as the run uses it; see closed_loop_transfer.py), `end_to_end`
(the sensor's decision and the run's `load_days` for the day, over SFTP; see closed_loop_day.py) and
`binary_copy` (PostgreSQL binary COPY of rows encoded beforehand; see
closed_loop_binary_copy.py). Prints one JSON line, with the process's peak RSS, like the other stages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow
from closed_loop_binary_copy import stage_binary_copy
from closed_loop_day import stage_end_to_end
from closed_loop_memory import peak_rss_mib
from closed_loop_transfer import stage_transfer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", choices=["transfer", "end_to_end", "binary_copy"])
    parser.add_argument("directory", type=Path)
    parser.add_argument("day", type=dt.date.fromisoformat)
    parser.add_argument("--url", help="warehouse URL")
    parser.add_argument("--sftp", type=json.loads, help="transfer, end_to_end: resource options and remote_dir, as JSON")
    args = parser.parse_args()
    stages = {
        "transfer": lambda: stage_transfer(args.directory, args.sftp),
        "end_to_end": lambda: stage_end_to_end(args.day, args.url, args.sftp),
        "binary_copy": lambda: stage_binary_copy(args.directory, args.day, args.url),
    }
    cpu_start = time.process_time()
    result = stages[args.stage]()
    print(json.dumps({**result, "cpu_seconds": time.process_time() - cpu_start, "peak_rss_mib": peak_rss_mib(),
                      "arrow_peak_mib": pyarrow.default_memory_pool().max_memory() / 2**20}))


if __name__ == "__main__":
    main()
