"""`episerver-assets demo`: a sandbox of its own, the configured warehouse and every asset, end to end.

The demo never touches a sandbox the user runs: its sandbox lives in `<EPISERVER_DATA_DIR>/demo-sandbox`
on free ports and stops when the demo ends. It checks the warehouse before starting anything, prints
one line per stage, labels its runs (`episerver/launched_by: demo`) and leaves the first demo day
in `.env`, so `make ui` shows the demo's days as the partition range.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from ..sandbox.generator import SCALES
from ..settings import SETTINGS, Settings, data_dir
from .demo_env import update_demo_env
from .demo_pgp import demo_pgp
from .demo_receiver import demo_receiver_env, running_receiver
from .failures import UserFacingError
from .progress import stage

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
LAUNCHED_BY_TAG = "episerver/launched_by"
DEMO_IMPORT_INTERVAL_SECONDS = 0.5
"""The sandbox imports uploaded subscriber files this often (Campaign: every 10 minutes)."""
KEPT_FROM_USER = {"EPISERVER_DATA_DIR", "EPISERVER_WAREHOUSE_URL", "EPISERVER_CLOSED_LOOP_START_DATE",
                  "EPISERVER_PREVIEW_PERSONAL_DATA"}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo", help="start a sandbox of its own and materialize every asset into the warehouse, then summarise"
    )
    parser.add_argument("--days", type=int, default=7, help="days of response files to load")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.set_defaults(run=run)


def demo_sandbox_config(days: int, seed: int, scale: str, today: dt.date, pgp=None):
    """Its own directory, never the one of `episerver-assets sandbox` (`<EPISERVER_DATA_DIR>/sandbox`),
    and free ports, so a sandbox the user runs keeps its files, known_hosts and ports. `pgp`: see demo_pgp."""
    from ..sandbox.server import SandboxConfig

    return SandboxConfig(data_dir() / "demo-sandbox", seed=seed, scale=scale, http_port=0, sftp_port=0,
                         response_days=days, today=today, import_interval_seconds=DEMO_IMPORT_INTERVAL_SECONDS,
                         pgp=pgp)


def _prepare_dagster_home() -> Path:
    """Runs land in DAGSTER_HOME (default .dagster_home) so that `make ui` shows them afterwards."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Path(".dagster_home").resolve())))
    home.mkdir(parents=True, exist_ok=True)
    shipped = next((p for p in (Path("dagster.yaml"), REPOSITORY_ROOT / "dagster.yaml") if p.exists()), None)
    if not (home / "dagster.yaml").exists() and shipped is not None:
        shutil.copy(shipped, home / "dagster.yaml")
    return home


def run(args: argparse.Namespace) -> int:
    from ..sandbox.server import Sandbox
    from ..warehouse.engines import WarehouseUnreachable, describe_url, probe_warehouse

    settings: Settings = args.settings
    warehouse_url = settings["EPISERVER_WAREHOUSE_URL"]
    today = dt.date.today()
    first, last = today - dt.timedelta(days=args.days), today - dt.timedelta(days=1)
    with stage(f"checking the warehouse {describe_url(warehouse_url)}") as done:
        try:
            done(probe_warehouse(warehouse_url))
        except WarehouseUnreachable as error:
            raise UserFacingError(str(error)) from None
    home = _prepare_dagster_home()
    pgp = demo_pgp(data_dir())
    config = demo_sandbox_config(args.days, args.seed, args.scale, today, pgp.sandbox())
    receiver_env = demo_receiver_env(data_dir())
    with stage(f"starting a sandbox of its own in {config.data_dir}") as done, Sandbox(config) as sandbox:
        done(f"REST {sandbox.http_base_url}, SFTP port {sandbox.sftp_port}, newest day PGP-encrypted")
        _point_at({**sandbox.info()["env"], **receiver_env, **pgp.env()})
        with stage("starting the webhook receiver (episerver-assets webhook-receiver)") as done, \
                running_receiver(receiver_env) as events_url:
            done(events_url)
            result, inbound, warehouse = _load(args, first, last, sandbox)
    _remember_for_ui(first)
    from ..summary import closed_loop_summary, inbound_summary

    print(closed_loop_summary(warehouse, result))
    print(inbound_summary(warehouse))
    print(f"\nWarehouse: {warehouse.describe()}\nDagster home: {home}")
    print("Open the UI with `make ui` (http://127.0.0.1:3000): the asset groups closed_loop, campaign, activity,")
    print("profiles, crm, audiences, exports, crm_refresh and closed_loop_send show the tables in one lineage,")
    print("with plans and their checks, per-row export results, column schemas, row counts per day")
    print(f"({first} .. {last}) and checks.")
    return 0 if result.success and inbound.success else 1


def _point_at(sandbox_env: dict[str, str]) -> None:
    """Only the demo's sandbox: no Campaign or SFTP setting of the user's (a pinned key, a private key) is kept."""
    for name in SETTINGS:
        if name not in KEPT_FROM_USER:
            os.environ.pop(name, None)
    os.environ.update(sandbox_env)


def _load(args: argparse.Namespace, first: dt.date, last: dt.date, sandbox):
    import dagster as dg

    from ..definitions import build_definitions
    from ..pools import apply_pool_limits
    from .demo_inbound import run_inbound
    from .demo_outbound import run_outbound

    # Built only now: the resources read the demo sandbox's addresses from the environment.
    defs = build_definitions()
    warehouse = defs.resources["warehouse"]
    days = args.days
    title = f"loading {days} day{'s' if days != 1 else ''} {first} .. {last}"
    with stage(title) as done, dg.DagsterInstance.get() as instance, _quiet_logs():
        apply_pool_limits(instance, warehouse.dialect)
        result = defs.resolve_job_def("closed_loop_job").execute_in_process(
            instance=instance,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            tags={RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat(), LAUNCHED_BY_TAG: "demo"},
            raise_on_error=False,
        )
        done(f"{_rows_loaded(result):,} rows" if result.success else "FAILED, see the summary", ok=result.success)
        inbound = run_inbound(defs, instance, sandbox, {LAUNCHED_BY_TAG: "demo"}, args.seed, args.scale)
        inbound.results += run_outbound(defs, instance, {LAUNCHED_BY_TAG: "demo"}).results
    return result, inbound, warehouse


@contextmanager
def _quiet_logs():
    """Progress lines only: Dagster's and our own INFO lines stay out of the demo's output, for its duration."""
    loggers = [logging.getLogger(name) for name in ("dagster", "episerver_assets")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _rows_loaded(result) -> int:
    return sum(
        int(m.metadata["dagster/row_count"].value)
        for m in result.asset_materializations_for_node("closed_loop_responses")
        if "dagster/row_count" in m.metadata
    )


def _remember_for_ui(first: dt.date) -> None:
    """`make ui` reads `.env`: the partitions start at the demo's first day instead of months earlier.

    `dagster dev` lets `.env` override the shell, so a key the user exports is not written there."""
    wanted = {"EPISERVER_CLOSED_LOOP_START_DATE": first.isoformat()}
    exported = sorted(key for key in wanted if os.environ.get(key))
    skipped = update_demo_env(Path(".env"), {k: v for k, v in wanted.items() if k not in exported})
    for key in skipped + exported:
        print(f"note: you set {key} yourself; the demo left .env without it")
