"""Record one sent batch in one transaction: per-row results, the ledger, the retry schedule, in-flight marks.

Because the ledger changes in the same transaction as the results, a crash between batches loses
nothing and repeats nothing: the next apply sends only rows without a result, and checks the rows
still marked in flight against Campaign instead of sending them again.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ...warehouse.bulk_load import load_arrow
from .apply_send import PlannedRow, RowOutcome
from .config import Export
from .tables import in_flight, owned_members, row_failures, sync_results

LEDGER_COLUMNS = ("added_by_us", "membership_sent", "first_sent_at")


def _one_of(connection: sa.Connection, column: sa.Column, ids: list[str]) -> sa.ColumnElement[bool]:
    """`column` among `ids`. PostgreSQL gets one array parameter: a thousand separate ones cost it about
    60 ms per statement to parse and plan (benchmarks/export_backfill.py)."""
    if connection.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam("ids", ids, type_=postgresql.ARRAY(sa.Text)))
    return column.in_(ids)


def _by_id(connection: sa.Connection, table: sa.Table, export: Export, ids: list[str], *columns: str) -> dict:
    query = (sa.select(table.c.recipient_id, *(table.c[c] for c in columns))
             .where(table.c.export == export.name, _one_of(connection, table.c.recipient_id, ids)))
    return {row[0]: row[1:] for row in connection.execute(query).all()}


def _delete(connection: sa.Connection, table: sa.Table, export: Export, ids: list[str]) -> None:
    if ids:
        connection.execute(table.delete().where(table.c.export == export.name,
                                                _one_of(connection, table.c.recipient_id, ids)))


def _ledger_row(export: Export, row: PlannedRow, outcome: RowOutcome, old: tuple | None, at: dt.datetime) -> dict:
    was_ours, membership, first = old if old is not None else (False, None, at)
    entry = {"export": export.name, "recipient_id": row.recipient_id, "email": row.email,
             "added_by_us": bool(outcome.added_by_us or was_ours), "active": False,
             "membership_sent": membership, "payload_sent": None, "first_sent_at": first, "last_sent_at": at,
             "exited_at": at}
    if row.action in ("add", "update"):
        if export.membership_field:
            entry["membership_sent"] = row.payload.get(export.membership_field)
        entry.update(active=True, payload_sent=row.payload_text, exited_at=None)
    elif row.action == "clear_membership":
        entry["membership_sent"] = ""
    elif row.action == "remove":
        entry.update(added_by_us=False, membership_sent=None)
    return entry


def _retry_at(export: Export, attempt: int, at: dt.datetime) -> dt.datetime:
    return at + dt.timedelta(minutes=export.retry_backoff_minutes * 2 ** (attempt - 1))


def record_batch(connection: sa.Connection, export: Export, plan_id: str, rows: Sequence[PlannedRow],
                 outcomes: Sequence[RowOutcome], at: dt.datetime) -> Counter:
    """Write the batch's results; returns the count per status."""
    by_id = {o.recipient_id: o for o in outcomes}
    ids = [r.recipient_id for r in rows]
    failures = _by_id(connection, row_failures, export, ids, "attempts", "action", "payload")
    ledger = _by_id(connection, owned_members, export, ids, *LEDGER_COLUMNS)
    results, entries, rejected = [], [], []
    for row in rows:
        outcome = by_id[row.recipient_id]
        earlier = failures.get(row.recipient_id)
        same_change = earlier is not None and (earlier[1], earlier[2]) == (row.action, row.payload_text)
        attempt = earlier[0] + 1 if same_change else 1
        if outcome.ok:
            status = "retried" if attempt > 1 else "sent"
            entries.append(_ledger_row(export, row, outcome, ledger.get(row.recipient_id), at))
        else:
            status = "permanent" if attempt >= export.max_attempts else "rejected"
            rejected.append({"export": export.name, "recipient_id": row.recipient_id, "action": row.action,
                             "payload": row.payload_text, "attempts": attempt,
                             "next_attempt_at": _retry_at(export, attempt, at), "permanent": status == "permanent",
                             "reason": outcome.reason})
        results.append({"plan_id": plan_id, "export": export.name, "recipient_id": row.recipient_id,
                        "action": row.action, "status": status, "reason": None if outcome.ok else outcome.reason,
                        "attempt": attempt, "recorded_at": at})
    _delete(connection, owned_members, export, [e["recipient_id"] for e in entries])
    _delete(connection, row_failures, export, ids)
    for table, records in ((owned_members, entries), (row_failures, rejected), (sync_results, results)):
        if records:
            load_arrow(connection, table, pa.Table.from_pylist(records))
    connection.execute(in_flight.delete().where(in_flight.c.plan_id == plan_id, in_flight.c.export == export.name,
                                                _one_of(connection, in_flight.c.recipient_id, ids)))
    return Counter(r["status"] for r in results)


def mark_in_flight(connection: sa.Connection, export: Export, plan_id: str, rows: Sequence[PlannedRow]) -> None:
    load_arrow(connection, in_flight, pa.Table.from_pylist(
        [{"plan_id": plan_id, "export": export.name, "recipient_id": r.recipient_id} for r in rows]))
