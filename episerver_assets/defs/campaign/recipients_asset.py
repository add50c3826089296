"""`campaign/episerver_recipients`: the recipients of the configured Campaign lists (seed 000, "Import Recipients").

Each run makes one pass per configured list (`recipients_config.py` describes the YAML file):
- the first run of a list, a change of its chosen attributes, or `full_pass_every_days` (default 7)
  calendar days since its last full pass make a **full pass**: every recipient is read, new and
  changed ones are written, and rows of recipients no longer in the list get `deleted_at` (they are
  kept, marked; one that comes back is written again with `deleted_at` empty);
- otherwise an **incremental pass**: the whole list is still read (Campaign has no "modified since"
  filter), but only recipients created or modified since the list's watermark are written.
A failed page or write leaves that list's rows and watermark as they were (`list_pass.py`); the
other lists still run, and the step fails at the end naming the failed lists.
"""

import datetime as dt

import dagster as dg
import sqlalchemy as sa
from pydantic import Field

from ...campaign.errors import CampaignError
from ...campaign.rest import CampaignRestClient, CampaignRestResource
from ...notifications import EventKind, notify
from ...pools import CAMPAIGN_REST
from ...warehouse import WarehouseResource
from .import_plan import plan_passes
from .import_state import read_states
from .list_pass import ListOutcome, PassPlan, run_pass
from .outcome_metadata import outcome_metadata, table_counts
from .recipient_columns import column_schema, prepare_table
from .recipient_tables import episerver_recipients as recipients_table
from .recipients_config import RecipientsConfigError, config_path, load_recipients_config

OWNER = "team:crm-data"
ASSET_KEY = dg.AssetKey(["campaign", "episerver_recipients"])


class RecipientsImportConfig(dg.Config):
    full_pass: bool = Field(default=False, description="Read every configured list completely now and mark "
                                                       "deleted recipients, whatever the cadence says.")


def _schema_at_load() -> dg.TableSchema:
    """The column schema shown before any run. A broken configuration file must not stop the whole
    code location from loading: the asset then shows the fixed columns, and its run reports the error."""
    try:
        return column_schema(load_recipients_config().columns())
    except RecipientsConfigError:
        return column_schema({})


def _run_passes(
    context: dg.AssetExecutionContext, client: CampaignRestClient, warehouse: WarehouseResource, table: sa.Table,
    plans: list[PassPlan],
) -> tuple[list[ListOutcome], dict[int, str]]:
    """Each list's pass; a list whose pass fails on Campaign's side is reported and the others go on."""
    outcomes: list[ListOutcome] = []
    failed: dict[int, str] = {}
    for plan in plans:
        kind = f"full pass ({plan.full_reason})" if plan.full_reason else "incremental pass"
        context.log.info(f"recipient list {plan.list_id}: {kind}")
        try:
            outcome = run_pass(client, warehouse, table, plan)
        except CampaignError as error:
            context.log.error(f"recipient list {plan.list_id}: nothing written, watermark kept: {error}")
            failed[plan.list_id] = str(error)
            continue
        counts = outcome.counts
        context.log.info(
            f"recipient list {plan.list_id}: read {outcome.read}, kept {outcome.kept}; new {counts.new}, "
            f"updated {counts.updated}, restored {counts.restored}, marked deleted {counts.deleted}, "
            f"unseen but still listed {counts.rechecked_present}"
        )
        outcomes.append(outcome)
    return outcomes, failed


@dg.asset(
    key=ASSET_KEY,
    group_name="campaign",
    kinds={"optimizely", "rest", "sql"},
    owners=[OWNER],
    pool=CAMPAIGN_REST,
    metadata={"dagster/table_name": recipients_table.fullname, "dagster/column_schema": _schema_at_load()},
    tags={"source": "campaign_rest"},
)
def episerver_recipients(
    context: dg.AssetExecutionContext, config: RecipientsImportConfig, rest: CampaignRestResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    """One row per (recipient list, recipient) of the lists named in EPISERVER_RECIPIENTS_CONFIG, with
    the seed's fields (`email`, `ep_recipient_id`, `ep_created_date`, `ep_modified_date`,
    `last_active_ts`) and each chosen attribute as a text column `attr_<safe name>`. Incremental passes
    write only recipients changed since the list's watermark; every `full_pass_every_days` days a full
    pass marks recipients deleted in Campaign with `deleted_at` (rows stay; filter on `deleted_at IS
    NULL` for current members). Lists removed from the file keep their rows as last imported."""
    source = config_path()
    now = dt.datetime.now(dt.timezone.utc)
    with rest.client() as client:
        try:
            settings = load_recipients_config(source)
            plans = plan_passes(client, settings, source, read_states(warehouse), now, config.full_pass)
        except RecipientsConfigError as error:
            raise dg.Failure(description=str(error)) from None
        table = prepare_table(warehouse, list(settings.columns().values()))
        outcomes, failed = _run_passes(context, client, warehouse, table, plans)

    metadata = outcome_metadata(outcomes, failed, table_counts(warehouse), column_schema(settings.columns()), source)
    deleted = {o.plan.list_id: o.counts.deleted for o in outcomes if o.counts.deleted}
    if deleted:
        notify(context, EventKind.RECIPIENTS_DELETED,
               {"deleted": sum(deleted.values()), "lists": ", ".join(map(str, deleted))})
    if failed:
        description = (f"{len(failed)} recipient list(s) could not be imported: "
                       + "; ".join(f"{list_id}: {reason}" for list_id, reason in failed.items()))
        notify(context, EventKind.IMPORT_FAILED, {"error": description, "failed": len(failed)})
        raise dg.Failure(description=description, metadata=metadata)
    return dg.MaterializeResult(metadata=metadata)
