"""`exports/<name>_plan`: what the next apply will write, with a blocking check that can refuse it."""


import datetime as dt
from collections.abc import Sequence

import dagster as dg
import sqlalchemy as sa
from pydantic import Field

from ...campaign.errors import CampaignError
from ...campaign.rest import CampaignRestResource
from ...notifications import EventKind, notify
from ...pools import CAMPAIGN_REST
from ...warehouse import WarehouseResource
from ..audiences.assets import MEMBERS_KEY, PROFILES_KEY
from ..audiences.config import Audience
from ..audiences.tables import audience_history, audience_members, audience_sizes
from ..crm_refresh.suppressions_asset import SUPPRESSIONS_KEY
from ..crm_refresh.tables import suppressions
from ..profiles.tables import ensure_profile_tables
from .config import Export
from .desired import DuplicateRecipientIds
from .plan import PlanCounts, make_plan
from .plan_report import plan_metadata, plan_sample
from .tables import ensure_export_tables, plans

OWNER = "team:crm-data"
GROUP = "exports"
CHECK_NAME = "plan_is_safe"
AUTOMATION = dg.AutomationCondition.eager().replace(
    "any_deps_missing", dg.AutomationCondition.any_deps_missing().ignore(dg.AssetSelection.assets(SUPPRESSIONS_KEY)))
"""Eager after the audiences change. Suppressions never loaded do not hold the plan back: its check
refuses the plan and says so, which an analyst sees, where a silent wait would not be."""


class ExportPlanConfig(dg.Config):
    confirm: bool = Field(default=False, description="Apply this plan even if its check refuses it (too large a "
                                                     "change, suppressed addresses, suppressions never loaded).")
    compare_all: bool = Field(default=False, description="Compare every member with the ledger, not only the "
                                                         "members changed since the last applied plan.")


def plan_key(export: Export) -> dg.AssetKey:
    return dg.AssetKey(["exports", f"{export.name}_plan"])


def require_list_fields(rest: CampaignRestResource, export: Export) -> int:
    """The list's size; dg.Failure naming the fields the list lacks (checked before anything is planned)."""
    try:
        with rest.client() as client:
            fields = {f.internal_name for f in client.list_fields(export.recipient_list_id)}
            size = client.count_recipients(export.recipient_list_id)
    except CampaignError as error:
        raise dg.Failure(f"export {export.name}: recipient list {export.recipient_list_id}: {error}") from None
    missing = [f for f in export.list_fields_written() if f not in fields]
    if missing:
        raise dg.Failure(f"export {export.name}: recipient list {export.recipient_list_id} has no field "
                         f"{', '.join(missing)} (it has {', '.join(sorted(fields))})")
    return size


def refusals(export: Export, counts: PlanCounts, list_size: int, suppressions_loaded: bool) -> list[str]:
    """Why the plan must not be applied without confirmation; empty when it is safe."""
    reasons = []
    share = counts.changes / max(list_size, 1)
    if counts.changes and share > export.max_change_share and list_size == 0:
        reasons.append(f"it writes {counts.changes:,} recipients into an empty list (a first backfill)")
    elif counts.changes and share > export.max_change_share:
        reasons.append(f"it changes {counts.changes:,} recipients, {share:.0%} of the list's {list_size:,} "
                       f"(max_change_share {export.max_change_share:.0%})")
    if counts.suppressed:
        reasons.append(f"it adds or updates {counts.suppressed:,} suppressed addresses (bounced, unsubscribed "
                       "or blocklisted)")
    if not suppressions_loaded:
        reasons.append("crm_refresh/suppressions was never materialized, so suppressed addresses cannot be told")
    return reasons


def build_plan_asset(export: Export, audiences: Sequence[Audience]) -> dg.AssetsDefinition:
    key = plan_key(export)

    @dg.asset(
        key=key,
        deps=[MEMBERS_KEY, PROFILES_KEY, SUPPRESSIONS_KEY],
        group_name=GROUP,
        kinds={"sql", "rest"},
        owners=[OWNER],
        pool=CAMPAIGN_REST,
        automation_condition=AUTOMATION,
        check_specs=[dg.AssetCheckSpec(
            CHECK_NAME, asset=key, blocking=True,
            description=f"Refuses a plan changing more than {export.max_change_share:.0%} of the list or "
                        "touching a suppressed address, unless the run config confirms it.")],
        metadata={"recipient_list_id": export.recipient_list_id, "audiences": ", ".join(export.audiences),
                  "exit": export.exit.value},
        description=f"**Plan of export `{export.name}`** (seed 000, Export Audiences): audiences "
                    f"{', '.join(export.audiences)} into recipient list {export.recipient_list_id}. Adds, "
                    "updates and exits against the export's ledger (`exports.owned_members`), rows in "
                    "`exports.plan_rows`. Only members changed since the last applied plan are compared, and "
                    f"every member at least every {export.full_compare_every_hours:g} hours. The blocking check "
                    "refuses a plan that changes too much of the list or touches suppressed addresses; confirm "
                    "it through run config (`confirm: true`).",
    )
    def export_plan(context: dg.AssetExecutionContext, config: ExportPlanConfig, warehouse: WarehouseResource,
                    rest: CampaignRestResource):
        ensure_profile_tables(warehouse)
        warehouse.ensure_table(audience_members, audience_history, audience_sizes, suppressions)
        ensure_export_tables(warehouse)
        list_size = require_list_fields(rest, export)
        loaded = context.instance.get_latest_materialization_event(SUPPRESSIONS_KEY) is not None
        plan_id, at = context.run.run_id, dt.datetime.now(dt.UTC)
        with warehouse.exclusive_partition(plans, export.name) as connection:
            try:
                counts = make_plan(connection, export, audiences, plan_id, at, config.compare_all)
            except DuplicateRecipientIds as error:
                raise dg.Failure(str(error)) from None
            reasons = refusals(export, counts, list_size, loaded)
            status = "refused" if reasons and not config.confirm else "ready"
            connection.execute(sa.insert(plans).values(
                plan_id=plan_id, export=export.name, recipient_list_id=export.recipient_list_id, planned_at=at,
                list_size=list_size, changes=counts.changes, suppressed=counts.suppressed, status=status,
                confirmed=bool(reasons and config.confirm)))
            sample = plan_sample(connection, plan_id)
        for reason in reasons:
            if config.confirm:
                context.log.info(f"export {export.name}: plan confirmed despite: {reason}")
            else:
                context.log.warning(f"export {export.name}: plan refused: {reason}")
        if status == "refused":
            notify(context, EventKind.PLAN_REFUSED, {"error": "; ".join(reasons), "export": export.name,
                                                    "recipient_list_id": export.recipient_list_id})
        yield dg.MaterializeResult(metadata=plan_metadata(counts, list_size, sample, status))
        yield dg.AssetCheckResult(
            check_name=CHECK_NAME, passed=status == "ready",
            severity=dg.AssetCheckSeverity.ERROR,
            description="; ".join(reasons) if reasons else "within the limits",
            metadata={"changes": counts.changes, "list_size": list_size, "suppressed": counts.suppressed,
                      "confirmed": bool(reasons and config.confirm), "refusals": len(reasons)})

    return export_plan
