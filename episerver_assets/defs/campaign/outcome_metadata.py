"""What a recipients run shows in the UI: counts per list and the watermarks, never an address or id."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from .list_pass import ListOutcome

_HEADER = ("| list | pass | read | kept | new | updated | restored | marked deleted | watermark |\n"
           "|---|---|---|---|---|---|---|---|---|")


def _iso(outcome: ListOutcome) -> str | None:
    return outcome.watermark.isoformat() if outcome.watermark else None


def _row(outcome: ListOutcome) -> str:
    c = outcome.counts
    kind = f"full ({outcome.plan.full_reason})" if outcome.plan.full_reason else "incremental"
    return (f"| {outcome.plan.list_id} | {kind} | {outcome.read} | {outcome.kept} | {c.new} | {c.updated} | "
            f"{c.restored} | {c.deleted} | {_iso(outcome) or '-'} |")


def outcome_metadata(
    outcomes: list[ListOutcome], failed: dict[int, str], total_rows: int, schema: dg.TableSchema, source: Path
) -> dict[str, object]:
    per_list = {
        str(o.plan.list_id): {"pass": o.kind, "read": o.read, "kept": o.kept, "new": o.counts.new,
                              "updated": o.counts.updated, "restored": o.counts.restored,
                              "deleted": o.counts.deleted, "watermark": _iso(o)}
        for o in outcomes
    }
    table = "\n".join([_HEADER, *(_row(o) for o in outcomes),
                       *(f"| {list_id} | failed: nothing written | | | | | | | kept |" for list_id in failed)])
    return {
        "dagster/row_count": total_rows,
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
