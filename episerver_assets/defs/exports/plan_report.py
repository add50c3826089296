"""What a plan shows in the UI: counts per action, the share of the list, a sample of rows."""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa

from ..closed_loop.personal_data import MASK, show_personal_data
from .plan import ACTIONS, PlanCounts
from .tables import plan_rows

SAMPLE_ROWS = 10


def plan_sample(connection: sa.Connection, plan_id: str) -> list[dict]:
    """A few rows per action, in a stable order."""
    rows = []
    for action in ACTIONS:
        rows += connection.execute(
            sa.select(plan_rows.c.action, plan_rows.c.recipient_id, plan_rows.c.payload, plan_rows.c.suppressed)
            .where(plan_rows.c.plan_id == plan_id, plan_rows.c.action == action)
            .order_by(plan_rows.c.recipient_id).limit(SAMPLE_ROWS)).mappings().all()
    return [dict(row) for row in rows]


def _cell(value: object) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


def sample_markdown(sample: list[dict]) -> str:
    """Recipient ids and payloads are personal (addresses, names): masked unless EPISERVER_PREVIEW_PERSONAL_DATA."""
    show = show_personal_data()
    lines = ["| action | recipient | fields | suppressed |", "| --- | --- | --- | --- |"]
    for row in sample:
        recipient, payload = (row["recipient_id"], row["payload"]) if show else (MASK, MASK if row["payload"] else "")
        lines.append(f"| {row['action']} | {_cell(recipient)} | {_cell(payload)} | {row['suppressed']} |")
    return "\n".join(lines)


def plan_metadata(counts: PlanCounts, list_size: int, sample: list[dict], status: str) -> dict:
    return {
        "dagster/row_count": sum(counts.actions.values()),
        "status": status,
        "compared": dg.MetadataValue.text(counts.scope.name),
        "compared_because": counts.scope.reason,
        "members_compared": counts.compared,
        **{f"action/{action}": count for action, count in counts.actions.items()},
        "changes": counts.changes,
        "list_size": list_size,
        "share_of_list": round(counts.changes / max(list_size, 1), 4),
        "suppressed": counts.suppressed,
        "held_back_for_retry": counts.held_back,
        "sample": dg.MetadataValue.md(sample_markdown(sample)),
    }
