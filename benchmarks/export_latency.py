"""From a webhook event to the recipient list, with the sensors running: the export's latency.

    .venv/bin/python benchmarks/export_latency.py [--trials 3] [--postgres-url URL]

A sandbox and the webhook receiver run as in the demo; the first pass (recipients, webhooks, activity,
profiles, CRM extract, audiences, suppressions, the export's confirmed backfill) runs in process. Then a
real `dagster-daemon` runs the code location with `episerver_activity_sensor` and the default
automation sensor started (the sandbox's own event senders are slowed to one batch an hour, and the
exports may change the whole list, so that nothing but the trial's event is in flight). Each trial posts one click event for a new address through the sandbox's
click webhook (the person enters `recent_clickers`, exported by `engaged_newsletter`) and polls the
sandbox's list until the address is there. The warehouse is PostgreSQL (a throwaway one unless given):
the daemon's runs are separate processes writing at once, which the embedded DuckDB file serialises.

Printed per trial: acknowledged -> in the list, and the runs that carried it (activity run, then the
automation run of profiles -> audiences -> plan -> apply) with their queue and run times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

CLIENT, EXPORT_LIST, EXPORT = 1000, 58001000998, "engaged_newsletter"
SENSORS = ("episerver_activity_sensor", "default_automation_condition_sensor")
DEADLINE_SECONDS = 900.0


def _environment(base: Path, warehouse_url: str) -> None:
    """The sandbox's exports, allowed to change the whole list: the trials add one person at a time to a list
    of a few hundred, and the plan's share check is about mistakes, not about latency."""
    from episerver_assets.defs.exports.config import SANDBOX_EXPORTS

    exports = base / "exports.yaml"
    exports.write_text(SANDBOX_EXPORTS.read_text(encoding="utf-8").replace(
        "    exit: ", "    max_change_share: 100\n    exit: "), encoding="utf-8")
    os.environ.update({"EPISERVER_DATA_DIR": str(base / "data"), "DAGSTER_HOME": str(base / "home"),
                       "EPISERVER_WAREHOUSE_URL": warehouse_url, "EPISERVER_EXPORTS_CONFIG": str(exports)})
    (base / "home").mkdir(parents=True)
    shutil.copy(REPOSITORY / "dagster.yaml", base / "home" / "dagster.yaml")


def _first_pass(sandbox) -> None:
    import dagster as dg

    from episerver_assets.commands.demo_inbound import RUN_CONFIG, run_inbound
    from episerver_assets.definitions import build_definitions
    from episerver_assets.pools import apply_pool_limits

    defs = build_definitions()
    with dg.DagsterInstance.get() as instance:
        apply_pool_limits(instance, defs.resources["warehouse"].dialect)
        assert run_inbound(defs, instance, sandbox, {}, 7, "small").success, "first pass failed"
        keys = [dg.AssetKey(["crm_refresh", "suppressions"]), dg.AssetKey(["exports", f"{EXPORT}_plan"]),
                dg.AssetKey(["exports", f"{EXPORT}_apply"])]
        result = defs.resolve_job_def("__ASSET_JOB").execute_in_process(
            instance=instance, asset_selection=keys, raise_on_error=False,
            run_config={**RUN_CONFIG, "ops": {f"exports__{EXPORT}_plan": {"config": {"confirm": True}}}})
        assert result.success, "the export's backfill failed"
    defs.resources["warehouse"].engine.dispose()


def _dagster(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "dagster"), *args, "-w", "workspace.yaml"],
                          cwd=REPOSITORY, capture_output=True, text=True, timeout=300)


def _start_daemon(log: Path) -> subprocess.Popen:
    daemon = subprocess.Popen([str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"],
                              cwd=REPOSITORY, stdout=log.open("w"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    for sensor in SENSORS:
        started = _dagster("sensor", "start", sensor)
        if started.returncode != 0 and "already running" not in started.stdout + started.stderr:
            raise RuntimeError(f"could not start {sensor}: {started.stdout[-500:]} {started.stderr[-500:]}")
    return daemon


def _post_click(sandbox, address: str) -> float:
    import httpx

    from episerver_assets.sandbox.rest.wire import timestamp
    from episerver_assets.sandbox.state.records import now
    from episerver_assets.sandbox.webhooks import post

    client = sandbox.state.client(CLIENT)
    [webhook] = [w for w in client.active_webhooks() if w.type == "click"]
    event = {"clientId": CLIENT, "recipientId": address, "mailingId": 9_000_001, "userListId": 58001000000,
             "type": "click", "mediaTypesToAddresses": {"EMAIL": address}, "link": "https://example.com/offer",
             "timestamp": timestamp(now())}
    with httpx.Client(timeout=30.0) as http:
        answer = post(http, webhook, event)
    answer.raise_for_status()
    return time.monotonic()


def _wait_for(sandbox, address: str, since: float) -> float:
    recipients = sandbox.state.client(CLIENT).lists[EXPORT_LIST].recipients
    while time.monotonic() - since < DEADLINE_SECONDS:
        if address in recipients:
            return time.monotonic() - since
        time.sleep(0.25)
    raise TimeoutError(f"{address} did not reach list {EXPORT_LIST} within {DEADLINE_SECONDS:.0f} s")


def _runs_since(moment: dt.datetime) -> list[str]:
    import dagster as dg

    lines = []
    with dg.DagsterInstance.get() as instance:
        for record in reversed(instance.get_run_records(filters=dg.RunsFilter(created_after=moment))):
            run, stats = record.dagster_run, instance.get_run_stats(record.dagster_run.run_id)
            queued = f"{stats.launch_time - record.create_timestamp.timestamp():5.1f} s" if stats.launch_time else "-"
            took = f"{stats.end_time - stats.start_time:5.1f} s" if stats.end_time and stats.start_time else "-"
            assets = ", ".join(sorted(k.to_user_string() for k in run.asset_selection or ())) or "its job's assets"
            lines.append(f"    run {run.run_id[:8]} {run.job_name:<22} {run.status.value:<8} queued+launch {queued}, "
                         f"ran {took}: {assets}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--postgres-url", default=os.environ.get("EPISERVER_TEST_POSTGRES_URL"))
    args = parser.parse_args()

    from episerver_assets.commands.demo_receiver import demo_receiver_env, running_receiver
    from episerver_assets.sandbox.server import Sandbox, SandboxConfig
    from episerver_assets_tests.postgres_server import ThrowawayPostgres, find_postgres_bin

    base = Path(tempfile.mkdtemp(prefix="export-latency-"))
    postgres = None if args.postgres_url else ThrowawayPostgres(find_postgres_bin())
    warehouse_url = args.postgres_url or postgres.start()
    _environment(base, warehouse_url)
    receiver_env = demo_receiver_env(base / "data")
    # The sandbox's own senders post a batch of events every 30 s by default; an hour apart, each trial's
    # event is the only one in flight, so the figure is the pipeline's, not the queue behind other traffic.
    config = SandboxConfig(base / "sandbox", http_port=0, sftp_port=0, response_days=1, today=dt.date.today(),
                           webhook_interval_seconds=3600.0)
    daemon = None
    try:
        with Sandbox(config) as sandbox, running_receiver({**sandbox.info()["env"], **receiver_env}):
            os.environ.update({**sandbox.info()["env"], **receiver_env})
            started = time.monotonic()
            _first_pass(sandbox)
            print(f"first pass (recipients .. export backfill) in process: {time.monotonic() - started:.1f} s")
            daemon = _start_daemon(base / "daemon.log")
            print(f"daemon started; sensors {', '.join(SENSORS)} running; load average {os.getloadavg()[0]:.1f}")
            latencies = []
            for trial in range(1, args.trials + 1):
                address = f"latency{trial}@example.com"
                moment = dt.datetime.now(dt.UTC)
                acknowledged = _post_click(sandbox, address)
                latencies.append(_wait_for(sandbox, address, acknowledged))
                print(f"trial {trial}: event acknowledged -> recipient in list {EXPORT_LIST}: {latencies[-1]:.1f} s")
                print("\n".join(_runs_since(moment)))
            print(f"latency: min {min(latencies):.1f} s, max {max(latencies):.1f} s over {len(latencies)} trials; "
                  "bound: activity sensor interval (30 s) + activity run + automation tick (30 s) + one run of "
                  "profiles -> audiences -> plan -> apply")
    finally:
        if daemon is not None:
            os.killpg(daemon.pid, signal.SIGTERM)
            daemon.wait(timeout=60)
        if postgres is not None:
            postgres.stop()


if __name__ == "__main__":
    main()
