"""Record sent batches in one transaction: per-row results, the ledger and the retry schedule together.

Because the ledger changes in the same transaction as the results, a crash between transactions loses
nothing and repeats nothing: the next apply sends only rows without a result, and checks the rows
marked in flight that have no result against Campaign instead of sending them again. So a mark need
not go in the transaction that records its rows: a group's mark (a range of recipient ids) stays
until the apply ends.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ...warehouse.bulk_load import load_arrow
from .apply_send import PlannedRow, RowOutcome
from .config import Export
from .ledger_rows import LEDGER_ENTRY, REJECTION, RESULT, arrow_rows, ledger_entry
from .tables import in_flight_ranges, owned_members, row_failures, sync_results

LEDGER_COLUMNS = ("added_by_us", "membership_sent", "first_sent_at")
FAILURE_COLUMNS = ("attempts", "action", "payload")


@dataclass(frozen=True)
class Earlier:
    """The ledger and retry-schedule rows of a page of plan rows, read with the page. They cannot change
    before the rows are recorded: a plan has one row per recipient, and only recording that row writes
    them while the apply holds the export's lock."""
    ledger: dict[str, tuple]
    failures: dict[str, tuple]


@dataclass(frozen=True)
class SentBatch:
    rows: Sequence[PlannedRow]
    outcomes: Sequence[RowOutcome]
    earlier: Earlier


def one_of(column: sa.Column, ids: list[str]) -> sa.ColumnElement[bool]:
    """`column` among `ids`, given as one list parameter and joined: a thousand separate parameters cost
    PostgreSQL about 60 ms per statement to parse and plan, and DuckDB 10 to 20 ms; `= ANY(list)` let
    PostgreSQL, with statistics older than the ledger's last million rows, read every row of the export
    (50 ms for 500 ids in 300,000 rows, 4 ms as a join on the unique index)."""
    return column.in_(sa.select(sa.func.unnest(sa.bindparam("ids", ids, type_=postgresql.ARRAY(sa.Text)))))


def earlier_state(connection: sa.Connection, export: Export, ids: list[str], plan_ids: sa.Select,
                  tables: tuple[sa.Table, ...] = (owned_members, row_failures)) -> Earlier:
    """The rows of `ids` (which `plan_ids` selects from the plan's rows) in `tables` (the others are known to
    hold none): one lookup per page, none per batch. PostgreSQL probes its unique indexes with the ids (a
    semi-join on the plan's rows scanned the whole ledger per page: 158 ms a page at 1,000,000 rows);
    DuckDB, without indexes, hashes the plan's rows and scans the ledger once."""
    def by_id(table: sa.Table, columns: tuple[str, ...]) -> dict[str, tuple]:
        if table not in tables:
            return {}
        among = (one_of(table.c.recipient_id, ids) if connection.dialect.name == "postgresql"
                 else table.c.recipient_id.in_(plan_ids))
        query = sa.select(table.c.recipient_id, *(table.c[c] for c in columns)).where(
            table.c.export == export.name, among)
        return {row[0]: tuple(row[1:]) for row in connection.execute(query)}

    return Earlier(by_id(owned_members, LEDGER_COLUMNS), by_id(row_failures, FAILURE_COLUMNS))


def tables_with_rows_of(connection: sa.Connection, export: Export, plan_rows_of_action: sa.Select
                        ) -> tuple[sa.Table, ...]:
    """Which of the ledger and the retry schedule hold a row for any of the given plan rows (their
    recipient ids). Asked once per action: a first backfill's adds have neither, so its pages need no
    lookups. Only recording a row writes these rows while the apply holds the export's lock, so the
    answer holds to the action's end."""
    ids = plan_rows_of_action.subquery()
    return tuple(table for table in (owned_members, row_failures) if connection.execute(
        sa.select(table.c.recipient_id).join(ids, ids.c.recipient_id == table.c.recipient_id)
        .where(table.c.export == export.name).limit(1)).first() is not None)


def _delete(connection: sa.Connection, table: sa.Table, export: Export, ids: list[str]) -> None:
    if ids:
        connection.execute(table.delete().where(table.c.export == export.name, one_of(table.c.recipient_id, ids)))


def _retry_at(export: Export, attempt: int, at: dt.datetime) -> dt.datetime:
    return at + dt.timedelta(minutes=export.retry_backoff_minutes * 2 ** (attempt - 1))


def record_batches(connection: sa.Connection, export: Export, plan_id: str, batches: Sequence[SentBatch],
                   at: dt.datetime) -> Counter:
    """Write the batches' results (inside the caller's transaction); returns the count per status."""
    results, entries, rejected, replaced, retried = [], [], [], [], []
    for batch in batches:
        by_id = {o.recipient_id: o for o in batch.outcomes}
        for row in batch.rows:
            outcome, rid = by_id[row.recipient_id], row.recipient_id
            attempt = 1
            if (earlier := batch.earlier.failures.get(rid)) is not None:
                retried.append(rid)
                if (earlier[1], earlier[2]) == (row.action, row.payload_text):
                    attempt = earlier[0] + 1
            if outcome.ok:
                status = "retried" if attempt > 1 else "sent"
                if (old := batch.earlier.ledger.get(rid)) is not None:
                    replaced.append(rid)
                entries.append(ledger_entry(export, row, outcome, old, at))
            else:
                status = "permanent" if attempt >= export.max_attempts else "rejected"
                rejected.append((rid, row.action, row.payload_text, attempt, _retry_at(export, attempt, at),
                                 status == "permanent", outcome.reason))
            results.append((rid, row.action, status, None if outcome.ok else outcome.reason, attempt))
    _delete(connection, owned_members, export, replaced)
    _delete(connection, row_failures, export, retried)
    common = {"export": export.name}
    for table, names, rows, constant in (
            (owned_members, LEDGER_ENTRY, entries, common), (row_failures, REJECTION, rejected, common),
            (sync_results, RESULT, results, {**common, "plan_id": plan_id, "recorded_at": at})):
        if rows:
            load_arrow(connection, table, arrow_rows(table, names, rows, constant))
    return Counter(status for _, _, status, _, _ in results)


def mark_in_flight(connection: sa.Connection, export: Export, plan_id: str, first: PlannedRow,
                   last: PlannedRow) -> None:
    """Mark a group of batches in flight: consecutive rows of one action in the page order, so one range
    of recipient ids (a mark per row cost the PostgreSQL server an index entry to write and a row to
    delete each)."""
    connection.execute(in_flight_ranges.insert().values(
        plan_id=plan_id, export=export.name, action=first.action,
        first_recipient_id=first.recipient_id, last_recipient_id=last.recipient_id))


def unmark(connection: sa.Connection, export: Export, plan_id: str, unsent: Sequence[PlannedRow]) -> None:
    """Drop the marks of groups marked and never sent (`unsent`: their first rows). A group sent in part
    keeps its mark: its rows without a result are checked by the next apply."""
    for first in unsent:
        connection.execute(in_flight_ranges.delete().where(
            in_flight_ranges.c.plan_id == plan_id, in_flight_ranges.c.export == export.name,
            in_flight_ranges.c.action == first.action,
            in_flight_ranges.c.first_recipient_id == first.recipient_id))


def unmark_all(connection: sa.Connection, export: Export, plan_id: str) -> None:
    """After an apply that recorded every row it sent."""
    connection.execute(in_flight_ranges.delete().where(
        in_flight_ranges.c.plan_id == plan_id, in_flight_ranges.c.export == export.name))
