"""`exports/<name>_apply`: send the export's latest plan to its recipient list, row results in the warehouse."""


import dagster as dg
import sqlalchemy as sa

from ...campaign.rest import CampaignRestResource
from ...pools import CAMPAIGN_REST, rest_share_per_step
from ...warehouse import WarehouseResource
from .apply_run import apply_plan
from .config import Export
from .plan_asset import GROUP, OWNER, plan_key
from .tables import plans, sync_results


def _latest_plan(warehouse: WarehouseResource, export: Export) -> tuple[str, str] | None:
    """The latest plan's id and status. The plan asset creates the export tables and their indexes; apply
    runs no DDL: on PostgreSQL a `CREATE INDEX IF NOT EXISTS` waits for autovacuum working on the table
    (3 s of a 1% change's apply at 1,000,000 rows, benchmarks/export_backfill.py)."""
    with warehouse.begin() as connection:
        if not sa.inspect(connection).has_table(plans.name, schema=plans.schema):
            return None
        row = connection.execute(
            sa.select(plans.c.plan_id, plans.c.status).where(plans.c.export == export.name)
            .order_by(plans.c.planned_at.desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


def _mark_applied(warehouse: WarehouseResource, export: Export, plan_id: str) -> None:
    with warehouse.begin() as connection:
        connection.execute(plans.update().where(plans.c.plan_id == plan_id, plans.c.export == export.name)
                           .values(status="applied"))


def build_apply_asset(export: Export) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(["exports", f"{export.name}_apply"]),
        deps=[plan_key(export)],
        group_name=GROUP,
        kinds={"rest", "sql"},
        owners=[OWNER],
        pool=CAMPAIGN_REST,
        automation_condition=dg.AutomationCondition.eager(),
        metadata={"dagster/table_name": sync_results.fullname, "recipient_list_id": export.recipient_list_id},
        description=f"**Apply export `{export.name}`**: the latest plan's rows go to recipient list "
                    f"{export.recipient_list_id} in concurrent bulk requests (the `campaign_rest` pool and the "
                    "client's throttle and retries); per-row results in `exports.sync_results`, the ledger "
                    "`exports.owned_members` updated in the same transaction as each batch's results. A "
                    "refused plan is never applied; rows Campaign rejects are retried by later plans.",
    )
    def export_apply(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                     rest: CampaignRestResource) -> dg.MaterializeResult:
        latest = _latest_plan(warehouse, export)
        if latest is None:
            raise dg.Failure(f"export {export.name} has no plan yet: materialize {plan_key(export).to_user_string()}")
        plan_id, status = latest
        if status == "refused":
            raise dg.Failure(f"export {export.name}: the latest plan ({plan_id}) was refused by its check; "
                             "re-plan with run config confirm: true to apply it anyway")
        connections, _ = rest_share_per_step()
        with warehouse.exclusive_partition(plans, export.name), rest.client() as client:
            counts = apply_plan(client, warehouse, export, plan_id, rest.bulk_batch_size, connections,
                                context.log.info)
            _mark_applied(warehouse, export, plan_id)
        return dg.MaterializeResult(metadata={
            "dagster/row_count": sum(counts.statuses.values()),
            "plan_id": plan_id,
            **{f"status/{status}": n for status, n in sorted(counts.statuses.items())},
            **{f"action/{action}": n for action, n in counts.actions.items()},
            "recovered_after_crash": counts.recovered,
            "batches": counts.batches,
        })

    return export_apply
