"""The eight daily response tables, loaded from Campaign's closed-loop SFTP export.

One step per run loads all files of all days in the run (transfers overlap each other and the
loads), but each table is its own asset, materialized per day, with its own checks per day.
"""

import datetime as dt

import dagster as dg

from ...campaign.sftp import CampaignSftpResource
from ...notifications import EventKind, notify
from ...pools import closed_loop_pool
from ...warehouse import WarehouseResource
from .check_evaluations import DayChecks
from .checks import asset_key, check_specs
from .day_load import Problem, load_days
from .loading import LoadedFile
from .partitions import daily_partitions
from .personal_data import preview_markdown
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
            "file_pattern": f"YYYYMMDD_{table.file_stem}.csv[.gz][.pgp|.gpg|.asc]",
        },
        tags={"source": "campaign_closed_loop"},
    )


def materialization(loaded: LoadedFile) -> dg.AssetMaterialization:
    metadata = {
        "dagster/row_count": loaded.rows,
        "file": loaded.file,
        "size_bytes": loaded.size_bytes,
        "sha256": loaded.sha256,
        "delivered_at": loaded.delivered_at.isoformat(),
        "transferred_bytes": loaded.transferred_bytes,
        "unchanged": loaded.unchanged,
        "dagster/column_schema": dagster_table_schema(loaded.table),
    }
    if not loaded.unchanged:
        metadata["preview"] = dg.MetadataValue.md(preview_markdown(loaded.preview))
    return dg.AssetMaterialization(asset_key=asset_key(loaded.table), partition=loaded.day.isoformat(),
                                   metadata=metadata)


@dg.multi_asset(
    name="closed_loop_responses",
    specs=[_table_spec(t) for t in RESPONSE_TABLES.values()],
    check_specs=check_specs(),
    partitions_def=daily_partitions,
    can_subset=True,
    pool=closed_loop_pool(),
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=7),
)
def closed_loop_responses(
    context: dg.AssetExecutionContext, sftp: CampaignSftpResource, warehouse: WarehouseResource
):
    """Download each day's response files, validate them against their pandera models and replace the
    day's partition of each table in one transaction (a file whose bytes equal its last load's is
    recorded as unchanged). A file that is missing, invalid or fails to load fails its day and table
    only; the others load and get their checks, and the step fails at the end naming the files."""
    days = [dt.date.fromisoformat(key) for key in context.partition_keys]
    tables = [t for t in RESPONSE_TABLES.values() if asset_key(t) in context.selected_asset_keys]
    problems: list[Problem] = []
    of_day: list = []
    for outcome in load_days(sftp, warehouse, days, tables):
        of_day.append(outcome)
        if isinstance(outcome, Problem):
            context.log.error(outcome.log_text())
            problems.append(outcome)
        else:
            state = "unchanged since its last load" if outcome.unchanged else f"{outcome.rows} rows"
            context.log.info(f"{outcome.day} {outcome.table.name}: {state} from {outcome.file}")
            yield materialization(outcome)
        if outcome.table == tables[-1]:  # the day's last table: its checks see the whole day
            yield from DayChecks(context, warehouse, outcome.day).evaluate(of_day)
            of_day = []

    if problems:
        description = f"{len(problems)} response file(s) could not be loaded: " + "; ".join(
            p.summary for p in problems[:5])
        notify(context, EventKind.IMPORT_FAILED, {"error": description, "failed": len(problems),
                                                   "days": ", ".join(sorted({str(p.day) for p in problems}))})
        raise dg.Failure(
            description=description,
            metadata={"problems": dg.MetadataValue.md("\n\n".join(p.markdown() for p in problems))},
        )
