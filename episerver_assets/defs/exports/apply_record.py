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

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ...warehouse.bulk_load import load_arrow
from .apply_send import PlannedRow, RowOutcome
from .config import Export
from .ledger_rows import REJECTION, arrow_rows, ledger_columns
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


def _attempt(earlier: tuple | None, row: PlannedRow) -> int:
    """1, or one more than the retry schedule's attempts when it holds this same change of the row."""
    return earlier[0] + 1 if earlier is not None and (earlier[1], earlier[2]) == (row.action, row.payload_text) else 1


class _Recording:
    """The rows recording writes, gathered batch by batch as Arrow tables (columns built a batch at a time:
    a tuple per row and per table cost half again as much, and kept the collector busy)."""

    def __init__(self, export: Export, plan_id: str, at: dt.datetime) -> None:
        self.export, self.plan_id, self.at = export, plan_id, at
        self.tables: dict[sa.Table, list[pa.Table]] = {owned_members: [], row_failures: [], sync_results: []}
        self.replaced, self.retried, self.rejected, self.statuses = [], [], [], Counter()

    def add(self, batch: SentBatch) -> None:
        rows, export, at = batch.rows, self.export, self.at
        outcome_of = {o.recipient_id: o for o in batch.outcomes}
        outcomes = [outcome_of[r.recipient_id] for r in rows]
        failures, ledger = batch.earlier.failures, batch.earlier.ledger
        attempts: list[int] | int = 1
        if failures:
            attempts = [_attempt(failures.get(r.recipient_id), r) for r in rows]
            self.retried += [r.recipient_id for r in rows if r.recipient_id in failures]
        if all(o.ok for o in outcomes):
            written, written_outcomes = rows, outcomes
            statuses = "sent" if attempts == 1 else ["retried" if a > 1 else "sent" for a in attempts]
            reasons = None
        else:
            tries = [attempts] * len(rows) if attempts == 1 else attempts
            written = [r for r, o in zip(rows, outcomes) if o.ok]
            written_outcomes = [o for o in outcomes if o.ok]
            statuses = [("retried" if a > 1 else "sent") if o.ok else
                        ("permanent" if a >= export.max_attempts else "rejected") for o, a in zip(outcomes, tries)]
            reasons = [None if o.ok else o.reason for o in outcomes]
            self.rejected += [(r.recipient_id, r.action, r.payload_text, a, _retry_at(export, a, at),
                               status == "permanent", o.reason)
                              for r, o, a, status in zip(rows, outcomes, tries, statuses) if not o.ok]
        if isinstance(statuses, str):
            self.statuses[statuses] += len(rows)
        else:
            self.statuses.update(statuses)
        self.tables[sync_results].append(arrow_rows(sync_results, {
            "plan_id": self.plan_id, "export": export.name, "recipient_id": [r.recipient_id for r in rows],
            "action": rows[0].action, "status": statuses, "reason": reasons, "attempt": attempts,
            "recorded_at": at}, len(rows)))
        if written:
            olds = None
            if ledger:
                olds = [ledger.get(r.recipient_id) for r in written]
                self.replaced += [r.recipient_id for r in written if r.recipient_id in ledger]
            self.tables[owned_members].append(arrow_rows(owned_members, {
                "export": export.name, **ledger_columns(export, written, [o.added_by_us for o in written_outcomes],
                                                        olds, at)}, len(written)))

    def write(self, connection: sa.Connection) -> None:
        _delete(connection, owned_members, self.export, self.replaced)
        _delete(connection, row_failures, self.export, self.retried)
        if self.rejected:
            self.tables[row_failures].append(arrow_rows(row_failures, {
                "export": self.export.name, **dict(zip(REJECTION, zip(*self.rejected), strict=True))},
                len(self.rejected)))
        for table, parts in self.tables.items():
            if parts:
                load_arrow(connection, table, pa.concat_tables(parts))


def record_batches(connection: sa.Connection, export: Export, plan_id: str, batches: Sequence[SentBatch],
                   at: dt.datetime) -> Counter:
    """Write the batches' results (inside the caller's transaction); returns the count per status."""
    recording = _Recording(export, plan_id, at)
    for batch in batches:
        recording.add(batch)
    recording.write(connection)
    return recording.statuses


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
