"""Rows in flight from an apply that died (marked, without a result): checked against Campaign (`landed`) and
recorded if they took effect, so they are not sent a second time; the others are sent again."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import sqlalchemy as sa

from ...campaign.rest import CampaignRestClient
from ...warehouse import WarehouseResource
from .apply_pages import ORDER, of_action, rows
from .apply_record import SentBatch, earlier_state, one_of, record_batches
from .apply_send import PlannedRow, RowOutcome, landed
from .config import Export
from .tables import in_flight, in_flight_ranges, plan_rows, sync_results


def _same_row(table: sa.Table, plan_id: str) -> sa.Exists:
    return sa.select(table.c.recipient_id).where(
        table.c.plan_id == plan_id, table.c.export == plan_rows.c.export,
        table.c.recipient_id == plan_rows.c.recipient_id).exists()


def _marks_of(export: Export) -> tuple[sa.Exists, sa.Exists]:
    """Whether the export has marks: ranges, and rows marked one by one by an apply before ranges."""
    return (sa.exists().where(in_flight_ranges.c.export == export.name),
            sa.exists().where(in_flight.c.export == export.name))


def _marked(connection: sa.Connection, export: Export, plan_id: str, action: str, by_row: bool) -> list[PlannedRow]:
    """The plan's rows of `action` marked in flight and without a result: one index range scan per range."""
    unrecorded = ~_same_row(sync_results, plan_id)
    ranges = connection.execute(sa.select(in_flight_ranges.c.first_recipient_id, in_flight_ranges.c.last_recipient_id)
                                .where(in_flight_ranges.c.plan_id == plan_id,
                                       in_flight_ranges.c.export == export.name,
                                       in_flight_ranges.c.action == action)).all()
    marked = [row for first, last in ranges for row in rows(
        connection, export, plan_id, action, sa.and_(plan_rows.c.recipient_id.between(first, last), unrecorded))]
    if by_row:
        marked += rows(connection, export, plan_id, action, sa.and_(_same_row(in_flight, plan_id), unrecorded))
    return list({row.recipient_id: row for row in marked}.values())


def recover(client: CampaignRestClient, warehouse: WarehouseResource, export: Export, plan_id: str,
            statuses: Counter) -> int:
    """Rows a dead apply sent without recording: record those that took effect (their statuses counted into
    `statuses`), unmark the others; returns how many took effect."""
    with warehouse.begin() as connection:
        ranged, by_row = connection.execute(sa.select(*_marks_of(export))).one()
    if not (ranged or by_row):
        return 0  # the usual case: the last apply ended
    recovered = 0
    for action in ORDER:
        with warehouse.begin() as connection:
            marked = _marked(connection, export, plan_id, action, by_row)
        took_effect = [r for r in marked if landed(client, export.recipient_list_id, r)]
        if took_effect:
            outcomes = [RowOutcome(r.recipient_id, True, added_by_us=True if action == "add" else None)
                        for r in took_effect]
            ids = [r.recipient_id for r in took_effect]
            with warehouse.begin() as connection:
                earlier = earlier_state(connection, export, ids,
                                        of_action(export, plan_id, action, one_of(plan_rows.c.recipient_id, ids)))
                statuses.update(record_batches(connection, export, plan_id,
                                               [SentBatch(took_effect, outcomes, earlier)], dt.datetime.now(dt.UTC)))
        recovered += len(took_effect)
    # What did not take effect is sent again as a row without a result; marks of superseded plans go:
    # their rows are in the latest plan again if the ledger still lacks them.
    with warehouse.begin() as connection:
        for table in (in_flight_ranges, in_flight):
            connection.execute(table.delete().where(table.c.export == export.name))
    return recovered
