"""The daily refresh job and its schedule (stopped until someone turns it on)."""

import dagster as dg

from .config import SANDBOX_CONFIG, run_config_from_yaml
from .refresh_asset import REFRESH_KEY
from .suppressions_asset import SUPPRESSIONS_KEY

REFRESH_OP = "crm_refresh__recipient_list_refresh"

crm_refresh_job = dg.define_asset_job(
    "crm_refresh_job",
    selection=dg.AssetSelection.assets(SUPPRESSIONS_KEY, REFRESH_KEY),
    description="Suppressions first, then the full refresh of the configured recipient list.",
)

crm_refresh_schedule = dg.ScheduleDefinition(
    name="crm_refresh_daily",
    job=crm_refresh_job,
    cron_schedule="0 5 * * *",
    execution_timezone="UTC",
    run_config=run_config_from_yaml(SANDBOX_CONFIG, REFRESH_OP),
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Seed 003: once a day, after Campaign's nightly response processing.",
)
