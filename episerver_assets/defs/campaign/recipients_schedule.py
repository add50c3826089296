"""The recipients job and its daily schedule.

`keep_active: true` in the configuration file: every day at 04:00 UTC the schedule runs the job, an
incremental pass per list (a full pass when `full_pass_every_days` have gone by, see
`recipients_asset.py`). `keep_active: false`, as the seed's unchecked "Keep Active": the schedule
runs the job only while some configured list has never been imported, so each list is imported once
and later ticks skip, saying why. A manual run imports in either case.

The schedule starts stopped, so that loading the code location (in tests, in the sandbox demo) does
not start importing on its own: turn it on in the UI or with `dagster schedule start
campaign_recipients_daily` where the imports should run.
"""

import dagster as dg

from ...warehouse import WarehouseResource
from .import_state import read_states
from .recipients_asset import episerver_recipients
from .recipients_config import load_recipients_config

recipients_job = dg.define_asset_job(
    "campaign_recipients_job",
    selection=dg.AssetSelection.assets(episerver_recipients),
    description="Import the recipients of the configured Campaign lists (incremental, or a full pass when due).",
)


@dg.schedule(
    job=recipients_job,
    cron_schedule="0 4 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Daily recipients import with keep_active; without it, only the first import of each list.",
)
def campaign_recipients_daily(context: dg.ScheduleEvaluationContext, warehouse: WarehouseResource):
    config = load_recipients_config()
    if config.keep_active:
        return dg.RunRequest()
    imported = read_states(warehouse)
    waiting = [selection.id for selection in config.lists if selection.id not in imported]
    if not waiting:
        return dg.SkipReason("keep_active is false and every configured list has been imported once")
    return dg.RunRequest(tags={"first_import_of_lists": ",".join(map(str, waiting))})
