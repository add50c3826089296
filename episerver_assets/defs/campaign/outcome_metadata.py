"""What a recipients run shows in the UI: counts per list and the watermarks, never an address or id."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from ...warehouse import WarehouseResource
from .list_pass import ListOutcome
from .recipient_tables import episerver_recipients

_HEADER = ("| list | pass | read | kept | new | updated | restored | marked deleted | unseen, still listed "
           "| watermark |\n|---|---|---|---|---|---|---|---|---|---|")


def _iso(outcome: ListOutcome) -> str | None:
    return outcome.watermark.isoformat() if outcome.watermark else None


def _row(outcome: ListOutcome) -> str:
    c = outcome.counts
    kind = f"full ({outcome.plan.full_reason})" if outcome.plan.full_reason else "incremental"
    return (f"| {outcome.plan.list_id} | {kind} | {outcome.read} | {outcome.kept} | {c.new} | {c.updated} | "
            f"{c.restored} | {c.deleted} | {c.rechecked_present} | {_iso(outcome) or '-'} |")


def table_counts(warehouse: WarehouseResource) -> tuple[int, int]:
    """(rows, rows not marked deleted) of the whole table."""
    query = sa.select(sa.func.count(), sa.func.count().filter(episerver_recipients.c.deleted_at.is_(None)))
    with warehouse.begin() as connection:
        total, present = connection.execute(query.select_from(episerver_recipients)).one()
    return total, present


def outcome_metadata(
    outcomes: list[ListOutcome], failed: dict[int, str], rows: tuple[int, int], schema: dg.TableSchema, source: Path
) -> dict[str, object]:
    per_list = {
        str(o.plan.list_id): {"pass": o.kind, "read": o.read, "kept": o.kept, "new": o.counts.new,
                              "updated": o.counts.updated, "restored": o.counts.restored,
                              "deleted": o.counts.deleted, "rechecked_present": o.counts.rechecked_present,
                              "watermark": _iso(o)}
        for o in outcomes
    }
    table = "\n".join([_HEADER, *(_row(o) for o in outcomes),
                       *(f"| {list_id} | failed: nothing written | | | | | | | | kept |" for list_id in failed)])
    return {
        "dagster/row_count": rows[0],
        "rows_not_deleted": rows[1],
        "dagster/column_schema": schema,
        "new": sum(o.counts.new for o in outcomes),
        "updated": sum(o.counts.updated for o in outcomes),
        "restored": sum(o.counts.restored for o in outcomes),
        "deleted": sum(o.counts.deleted for o in outcomes),
        "lists": dg.MetadataValue.md(table),
        "per_list": dg.MetadataValue.json(per_list),
        "watermarks": dg.MetadataValue.json({str(o.plan.list_id): _iso(o) for o in outcomes}),
        "failed_lists": dg.MetadataValue.json({str(k): v for k, v in failed.items()}),
        "config_file": str(source),
    }
