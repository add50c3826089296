"""The eight daily response tables, loaded from Campaign's closed-loop SFTP export.

One step per run opens one SFTP session for all files of all days in the run (cheaper than eight
sessions), but each table is its own asset, materialized per day, with its own checks.
"""


import datetime as dt
import tempfile
from pathlib import Path

import dagster as dg

from ...campaign.sftp import CampaignSftpResource
from ...pools import WAREHOUSE
from ...warehouse import WarehouseResource
from .checks import asset_key, check_specs
from .day_load import DayLoad
from .partitions import daily_partitions
from .schemas import RESPONSE_TABLES, dagster_table_schema
from .warehouse_tables import warehouse_table

OWNER = "team:crm-data"

response_files = dg.AssetSpec(
    key=dg.AssetKey(["campaign", "sftp_response_files"]),
    description=(
        "The eight daily response files (`YYYYMMDD_<table>.csv`) that Optimizely Campaign exports to its "
        "closed-loop SFTP server. Each file stays there for 30 days."
    ),
    group_name="closed_loop",
    kinds={"sftp", "csv"},
    owners=[OWNER],
)


def _table_spec(table) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=asset_key(table),
        description=f"**{table.title}**, loaded daily from {table.description}",
        group_name="closed_loop",
        kinds={"sftp", "pandera", "sql"},
        owners=[OWNER],
        deps=[response_files.key],
        skippable=True,
        partitions_def=daily_partitions,
        metadata={
            "dagster/column_schema": dagster_table_schema(table),
            "dagster/table_name": warehouse_table(table).fullname,
            "file_pattern": f"YYYYMMDD_{table.file_stem}.csv[.gz]",
        },
        tags={"source": "campaign_closed_loop"},
    )


@dg.multi_asset(
    name="closed_loop_responses",
    specs=[_table_spec(t) for t in RESPONSE_TABLES.values()],
    check_specs=check_specs(),
    partitions_def=daily_partitions,
    can_subset=True,
    pool=WAREHOUSE,
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=7),
)
def closed_loop_responses(
    context: dg.AssetExecutionContext, sftp: CampaignSftpResource, warehouse: WarehouseResource
):
    """Download each day's response files, validate them against their pandera models and replace the
    day's partition of each table in one transaction. A file that fails validation or has expired on the
    server fails its day and table only; the others load."""
    days = [dt.date.fromisoformat(key) for key in context.partition_keys]
    tables = [t for t in RESPONSE_TABLES.values() if asset_key(t) in context.selected_asset_keys]
    with (
        warehouse.session(),
        sftp.open_session() as session,
        tempfile.TemporaryDirectory(prefix="closed-loop-") as scratch,
    ):
        warehouse.ensure_table(*(warehouse_table(t) for t in RESPONSE_TABLES.values()))
        listing = {f.name: f for f in session.list(sftp.response_dir, "*.csv*")}
        loads = [DayLoad(day, listing, sftp.response_dir) for day in days]
        for load in loads:
            for table in tables:
                materialization = load.load_table(context, session, warehouse, table, Path(scratch))
                if materialization is not None:
                    context.log_event(materialization)
        yield from DayLoad.check_results(context, loads, tables, warehouse)

    problems = [problem for load in loads for problem in load.problems]
    if problems:
        raise dg.Failure(
            description=f"{len(problems)} response file(s) could not be loaded: "
            + "; ".join(p.summary for p in problems[:5]),
            metadata={"problems": dg.MetadataValue.md(DayLoad.problems_markdown(problems))},
        )
