"""What `demo` prints at the end: tables, row counts, check results (failed ones with their day)."""

from __future__ import annotations

import dagster as dg

from .defs.closed_loop.schemas import RESPONSE_TABLES
from .defs.closed_loop.warehouse_tables import warehouse_table
from .warehouse import WarehouseResource


def closed_loop_summary(warehouse: WarehouseResource, result: dg.ExecuteInProcessResult) -> str:
    lines = [f"\nRun {result.run_id}: {'succeeded' if result.success else 'FAILED'}", "",
             f"{'table':<36}{'rows':>10}{'days':>6}"]
    for table in RESPONSE_TABLES.values():
        target = warehouse_table(table)
        rows = warehouse.row_count(target)
        days = warehouse.scalar(f"SELECT count(DISTINCT partition_date) FROM {target.fullname}")
        lines.append(f"{target.fullname:<36}{rows:>10,}{days:>6}")
    evaluations = [e.asset_check_evaluation_data for e in result.all_events
                   if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    failed = [f"{e.asset_key.to_user_string()}:{e.check_name}" + (f" ({e.partition})" if e.partition else "")
              for e in evaluations if not e.passed]
    lines += ["", f"Asset checks: {len(evaluations) - len(failed)} passed, {len(failed)} failed"]
    lines += [f"  failed: {name}" for name in failed]
    return "\n".join(lines)


def inbound_summary(warehouse: WarehouseResource) -> str:
    """Row counts of the tables the demo filled after the closed loop: recipients, activity (and its rejects),
    profiles, CRM, audiences, and the outbound results."""
    from .defs.activity.activity_tables import episerver_activity, episerver_activity_rejects
    from .defs.audiences.tables import audience_members
    from .defs.campaign.recipient_tables import episerver_recipients
    from .defs.crm.contacts import contacts
    from .defs.crm_refresh.tables import refresh_runs, suppressions
    from .defs.exports.tables import owned_members, sync_results
    from .defs.profiles.tables import user_profiles

    lines = ["", f"{'table':<36}{'rows':>10}"]
    for table in (episerver_recipients, episerver_activity, episerver_activity_rejects, user_profiles, contacts,
                  audience_members, suppressions, refresh_runs, owned_members, sync_results):
        lines.append(f"{table.fullname:<36}{warehouse.row_count(table):>10,}")
    return "\n".join(lines)
