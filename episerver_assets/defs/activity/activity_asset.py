"""`activity/episerver_activity`: Campaign webhook events, normalised, one row per distinct event."""


import datetime as dt
import json

import dagster as dg
import sqlalchemy as sa

from ...pools import WAREHOUSE
from ...settings import load_settings
from ...warehouse import WarehouseResource
from .activity_partitions import activity_days, partition_window
from .activity_tables import episerver_activity
from .events_landing import landing_store
from .events_run import RunOutcome, consume, rebuild

OWNER = "team:crm-data"
ASSET_KEY = dg.AssetKey(["activity", "episerver_activity"])
LANDED_AFTER_TAG = "episerver/landed_after"
LANDED_THROUGH_TAG = "episerver/landed_through"


def column_schema(table: sa.Table) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=c.name,
                type=str(c.type).lower(),
                description=c.comment,
                constraints=dg.TableColumnConstraints(nullable=c.nullable, unique=c.primary_key),
            )
            for c in table.columns
        ]
    )


def materializations(outcome: RunOutcome, mode: str):
    """One per day written. inserted/duplicates/row_count are the day's; skipped, rejected and the
    landed id range are the run's (those events have no day, or are not stored)."""
    batch = outcome.batch
    for day in outcome.days:
        yield dg.AssetMaterialization(
            asset_key=ASSET_KEY,
            partition=day.day.isoformat(),
            metadata={
                "dagster/row_count": day.row_count,
                "inserted": day.inserted,
                "duplicates": outcome.duplicates(day),
                "skipped_by_type": batch.skipped_by_type,
                "rejected": sum(batch.reasons.values()),
                "rejected_reasons": dg.MetadataValue.json(dict(batch.reasons)),
                "landed_ids": f"{outcome.after + 1}-{outcome.through}",
                "events_read": batch.events_read,
                "mode": mode,
                "dagster/column_schema": column_schema(episerver_activity),
            },
        )


@dg.asset(
    key=ASSET_KEY,
    group_name="activity",
    kinds={"webhook", "sql"},
    owners=[OWNER],
    partitions_def=activity_days,
    # Events arrive because these webhooks point at the receiver: the lineage shows where they come from.
    deps=[dg.AssetKey(["activity", "campaign_webhooks"])],
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE,
    output_required=False,
    metadata={
        "dagster/table_name": episerver_activity.fullname,
        "dagster/column_schema": column_schema(episerver_activity),
    },
)
def episerver_activity_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Campaign webhook events from the receiver's landing store, one row per distinct event
    (`event_id`, the SHA-256 of the event's canonical JSON, so retried deliveries are stored once),
    partitioned by the UTC date of the event.

    Runs of `episerver_activity_sensor` carry the landed request ids (after, through] they consume
    and add those requests' new events to every day they fall on (repeating such a run inserts
    nothing). Any other run (a manual materialization or backfill) rebuilds its days from everything
    in the landing store. Events of types outside EPISERVER_ACTIVITY_EVENT_TYPES are skipped and
    counted; malformed events go to `activity.episerver_activity_rejects` with the reason."""
    settings = load_settings()
    event_types = settings["EPISERVER_ACTIVITY_EVENT_TYPES"]
    tags = context.run.tags
    window = partition_window()
    days = [dt.date.fromisoformat(key) for key in context.partition_keys]
    with landing_store(settings["EPISERVER_RECEIVER_STORE_URL"]) as store:
        if LANDED_THROUGH_TAG in tags:
            after, through = int(tags[LANDED_AFTER_TAG]), int(tags[LANDED_THROUGH_TAG])
            outcome = consume(warehouse, store, after, through, window, event_types, quiet_day=days[0])
            mode = "new landed requests"
        else:
            outcome, mode = rebuild(warehouse, store, days, window, event_types), "day rebuild"
    batch = outcome.batch
    context.log.info(
        f"{mode}: landed ids {outcome.after + 1}-{outcome.through}, {batch.events_read} events read, "
        f"{sum(d.inserted for d in outcome.days)} inserted on {len(outcome.days)} day(s), "
        f"{batch.skipped_by_type} skipped by type, {sum(batch.reasons.values())} rejected "
        f"{json.dumps(dict(batch.reasons))}"
    )
    yield from materializations(outcome, mode)
