"""The product's end-to-end day, a stage of the closed-loop ingest benchmark (run by closed_loop_stages.py).

The sensor's two looks at the response directory (the first sees the day new, the second finds its
listing unchanged and requests it), then the run's own code path for that day, `load_days`: download,
parse and validate while the bytes arrive, load each table in one transaction with its ledger row.
The Dagster framework around a run (launching, event log, checks) is not in the figure.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time

from closed_loop_loads import backend_cpu, forget_loads

from episerver_assets.campaign.sftp import CampaignSftpResource
from episerver_assets.defs.closed_loop.day_load import load_days
from episerver_assets.defs.closed_loop.loading import LoadedFile
from episerver_assets.defs.closed_loop.sensors import evaluate_response_directory
from episerver_assets.warehouse import WarehouseResource


def stage_end_to_end(day: dt.date, url: str, sftp: dict) -> dict:
    client = CampaignSftpResource(**sftp["resource"])
    warehouse = WarehouseResource(url=url)
    forget_loads(warehouse, day)
    log = logging.getLogger("closed_loop_benchmark")
    with warehouse.session(), backend_cpu(warehouse) as server:  # load_days runs on the held connection
        start = time.perf_counter()
        first_look = evaluate_response_directory(None, client, log)
        decision = evaluate_response_directory(first_look.cursor, client, log)
        sensor = time.perf_counter() - start
        requested = [request.partition_key for request in decision.run_requests or ()]
        if requested != [day.isoformat()]:
            raise SystemExit(f"the sensor requested {requested}, expected {day}: {decision.skip_reason}")
        outcomes = list(load_days(client, warehouse, [day]))
        seconds = time.perf_counter() - start
    problems = [outcome for outcome in outcomes if not isinstance(outcome, LoadedFile)]
    if problems:
        raise SystemExit("the run failed: " + json.dumps([str(p) for p in problems])[:2000])
    unchanged = [outcome.file for outcome in outcomes if outcome.unchanged]
    if unchanged:
        raise SystemExit(f"the run found {unchanged} unchanged: the ledger was not cleared")
    return {"rows": sum(o.rows for o in outcomes), "seconds": seconds, "sensor": sensor, "run": seconds - sensor,
            "bytes": sum(o.size_bytes for o in outcomes),
            "transferred_bytes": sum(o.transferred_bytes for o in outcomes), **server}
