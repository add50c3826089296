"""The plan rows an interrupted apply left marked in flight: inside a mark's range and without a result."""

from __future__ import annotations

import sqlalchemy as sa

from episerver_assets.defs.exports.tables import in_flight_ranges, plan_rows, sync_results

from .exports_support import ExportWorld


def marked_ids(world: ExportWorld, unrecorded_only: bool = True) -> list[str]:
    """Recipient ids of plan rows covered by a mark (one entry per row and mark: a row under two marks
    shows twice), optionally only those without a result."""
    marks = in_flight_ranges
    covered = sa.and_(marks.c.plan_id == plan_rows.c.plan_id, marks.c.export == plan_rows.c.export,
                      marks.c.action == plan_rows.c.action,
                      plan_rows.c.recipient_id.between(marks.c.first_recipient_id, marks.c.last_recipient_id))
    recorded = sa.select(sync_results.c.recipient_id).where(
        sync_results.c.plan_id == plan_rows.c.plan_id, sync_results.c.export == plan_rows.c.export,
        sync_results.c.recipient_id == plan_rows.c.recipient_id).exists()
    query = sa.select(plan_rows.c.recipient_id).join(marks, covered)
    if unrecorded_only:
        query = query.where(~recorded)
    with world.warehouse.begin() as connection:
        return list(connection.execute(query).scalars())
