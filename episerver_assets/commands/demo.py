"""`episerver-assets demo`: the sandbox, the embedded warehouse and every asset, end to end."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
from pathlib import Path

import dagster as dg

from ..definitions import build_definitions
from ..pools import apply_pool_limits
from ..sandbox.generator import SCALES
from ..sandbox.server import Sandbox, SandboxConfig
from ..summary import closed_loop_summary
from ..warehouse.engines import data_dir

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo", help="start the sandbox and materialize every asset into the warehouse, then summarise"
    )
    parser.add_argument("--days", type=int, default=7, help="days of response files to load")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.set_defaults(run=run)


def _prepare_dagster_home() -> Path:
    """Runs land in DAGSTER_HOME (default .dagster_home) so that `make ui` shows them afterwards."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Path(".dagster_home").resolve())))
    home.mkdir(parents=True, exist_ok=True)
    shipped = next((p for p in (Path("dagster.yaml"), REPOSITORY_ROOT / "dagster.yaml") if p.exists()), None)
    if not (home / "dagster.yaml").exists() and shipped is not None:
        shutil.copy(shipped, home / "dagster.yaml")
    return home


def run(args: argparse.Namespace) -> int:
    home = _prepare_dagster_home()
    today = dt.date.today()
    config = SandboxConfig(data_dir() / "sandbox", seed=args.seed, scale=args.scale, http_port=0, sftp_port=0,
                           response_days=args.days, today=today)
    with Sandbox(config) as sandbox:
        os.environ.update(sandbox.info()["env"])
        # Built only now: the resources read the sandbox's addresses from the environment.
        defs = build_definitions()
        warehouse = defs.resources["warehouse"]
        with dg.DagsterInstance.get() as instance:
            apply_pool_limits(instance, warehouse.dialect)
            first, last = today - dt.timedelta(days=args.days), today - dt.timedelta(days=1)
            print(f"Loading closed-loop response files {first} .. {last} from the sandbox's SFTP server ...")
            result = defs.resolve_job_def("closed_loop_job").execute_in_process(
                instance=instance,
                run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
                tags={RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()},
                raise_on_error=False,
            )
        print(closed_loop_summary(warehouse, result))
    print(f"\nWarehouse: {warehouse.describe()}\nDagster home: {home}")
    print("Open the UI with `make ui` (http://127.0.0.1:3000): asset group closed_loop shows the tables,")
    print("their column schemas, row counts per day and checks.")
    return 0 if result.success else 1
