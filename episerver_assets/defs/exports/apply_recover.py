"""Rows in flight from an apply that died (marked, without a result): checked against Campaign (`landed`) and
recorded if they took effect, so they are not sent a second time; the others are sent again."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import sqlalchemy as sa

from ...campaign.rest import CampaignRestClient
from ...warehouse import WarehouseResource
from .apply_pages import ORDER, rows
from .apply_record import SentBatch, earlier_state, one_of, record_batches
from .apply_send import RowOutcome, landed
from .config import Export
from .tables import in_flight, plan_rows, sync_results

def _same_row(table: sa.Table, plan_id: str) -> sa.Exists:
    return sa.select(table.c.recipient_id).where(
        table.c.plan_id == plan_id, table.c.export == plan_rows.c.export,
        table.c.recipient_id == plan_rows.c.recipient_id).exists()


def recover(client: CampaignRestClient, warehouse: WarehouseResource, export: Export, plan_id: str,
            statuses: Counter) -> int:
    """Rows a dead apply sent without recording: record those that took effect (their statuses counted into
    `statuses`), unmark the others; returns how many took effect."""
    with warehouse.begin() as connection:
        if connection.execute(sa.select(in_flight.c.recipient_id).where(in_flight.c.export == export.name)
                              .limit(1)).first() is None:
            return 0  # the usual case: the last apply ended
    recovered = 0
    in_flight_only = sa.and_(_same_row(in_flight, plan_id), ~_same_row(sync_results, plan_id))
    for action in ORDER:
        with warehouse.begin() as connection:
            marked = rows(connection, export, plan_id, action, in_flight_only)
        took_effect = [r for r in marked if landed(client, export.recipient_list_id, r)]
        if took_effect:
            outcomes = [RowOutcome(r.recipient_id, True, added_by_us=True if action == "add" else None)
                        for r in took_effect]
            ids = [r.recipient_id for r in took_effect]
            with warehouse.begin() as connection:
                plan_ids = sa.select(plan_rows.c.recipient_id).where(
                    plan_rows.c.plan_id == plan_id, plan_rows.c.export == export.name,
                    one_of(plan_rows.c.recipient_id, ids))
                earlier = earlier_state(connection, export, ids, plan_ids)
                statuses.update(record_batches(connection, export, plan_id,
                                               [SentBatch(took_effect, outcomes, earlier)], dt.datetime.now(dt.UTC)))
        recovered += len(took_effect)
    # What did not take effect is sent again as a row without a result; marks of superseded plans go:
    # their rows are in the latest plan again if the ledger still lacks them.
    with warehouse.begin() as connection:
        connection.execute(in_flight.delete().where(in_flight.c.export == export.name))
    return recovered
