"""Apply an export's latest plan: batches sent concurrently, each recorded as it completes.

Order: removals, then adds, then updates and membership clears, then exits without a write. The
rows of a batch are marked in flight before it is sent; its results, ledger changes and retry
schedule commit together. Rows in flight from an apply that died are checked against Campaign
first (`landed`) and recorded if they took effect, so they are not sent a second time.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa

from ...campaign.rest import CampaignRestClient
from ...warehouse import WarehouseResource
from .apply_record import mark_in_flight, record_batch
from .apply_send import PlannedRow, RowOutcome, landed, send_batch
from .config import Export
from .tables import in_flight, plan_rows, sync_results

ORDER = ("remove", "add", "update", "clear_membership", "forget")
PAGE_ROWS = 20_000


class HeldConnection:
    """One connection for a whole apply, a transaction per unit of work: opening one costs about 77 ms on
    DuckDB, and a batch takes two transactions (its in-flight marks, its results)."""

    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        with self._connection.begin():
            yield self._connection


@dataclass
class ApplyCounts:
    statuses: Counter = field(default_factory=Counter)
    actions: Counter = field(default_factory=Counter)
    recovered: int = 0
    batches: int = 0


def _rows(warehouse: HeldConnection, export: Export, plan_id: str, action: str,
          where: sa.ColumnElement[bool], after: str | None = None, limit: int | None = None) -> list[PlannedRow]:
    query = (sa.select(plan_rows.c.recipient_id, plan_rows.c.email, plan_rows.c.action, plan_rows.c.payload)
             .where(plan_rows.c.plan_id == plan_id, plan_rows.c.export == export.name, plan_rows.c.action == action,
                    where)
             .order_by(plan_rows.c.recipient_id).limit(limit))
    if after is not None:
        query = query.where(plan_rows.c.recipient_id > after)
    with warehouse.begin() as connection:
        return [PlannedRow(*row) for row in connection.execute(query).all()]


def _pages(warehouse: HeldConnection, export: Export, plan_id: str, action: str) -> Iterator[list[PlannedRow]]:
    """The action's rows without a result, a page at a time (by recipient id), so memory stays flat.

    A page is read by its index alone and the ids already recorded or in flight in its id range are
    dropped after: an anti-join per page let PostgreSQL pick a plan from statistics taken while the
    results table was still empty, rescanning it per row (5 s a page at 200,000 rows)."""
    after = None
    while page := _rows(warehouse, export, plan_id, action, sa.true(), after, PAGE_ROWS):
        done = _handled_ids(warehouse, export, plan_id, after, page[-1].recipient_id)
        if rows := [row for row in page if row.recipient_id not in done]:
            yield rows
        after = page[-1].recipient_id


def _handled_ids(warehouse: HeldConnection, export: Export, plan_id: str, after: str | None,
                 last: str) -> set[str]:
    """Ids of the plan in (after, last] that have a result or are in flight."""
    def between(table: sa.Table) -> sa.Select:
        query = sa.select(table.c.recipient_id).where(
            table.c.plan_id == plan_id, table.c.export == export.name, table.c.recipient_id <= last)
        return query.where(table.c.recipient_id > after) if after is not None else query

    with warehouse.begin() as connection:
        return set(connection.execute(sa.union_all(between(sync_results), between(in_flight))).scalars())


def _same_row(table: sa.Table, plan_id: str) -> sa.Exists:
    return sa.select(table.c.recipient_id).where(
        table.c.plan_id == plan_id, table.c.export == plan_rows.c.export,
        table.c.recipient_id == plan_rows.c.recipient_id).exists()


def _recover(client: CampaignRestClient, warehouse: HeldConnection, export: Export, plan_id: str,
             counts: ApplyCounts) -> None:
    """Rows a dead apply sent without recording: record those that took effect, unmark the others."""
    for action in ORDER:
        rows = _rows(warehouse, export, plan_id, action, _same_row(in_flight, plan_id))
        took_effect = [r for r in rows if landed(client, export.recipient_list_id, r)]
        outcomes = [RowOutcome(r.recipient_id, True, added_by_us=True if action == "add" else None)
                    for r in took_effect]
        with warehouse.begin() as connection:
            if took_effect:
                counts.statuses.update(record_batch(connection, export, plan_id, took_effect, outcomes, _now()))
        counts.recovered += len(took_effect)
    # What did not take effect is sent again as a row without a result; marks of superseded plans go:
    # their rows are in the latest plan again if the ledger still lacks them.
    with warehouse.begin() as connection:
        connection.execute(in_flight.delete().where(in_flight.c.export == export.name))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _batches(pages: Iterator[list[PlannedRow]], size: int, sent: Counter, action: str) -> Iterator[list[PlannedRow]]:
    for page in pages:
        for start in range(0, len(page), size):
            batch = page[start:start + size]
            sent[action] += len(batch)
            yield batch


def apply_plan(client: CampaignRestClient, warehouse: WarehouseResource, export: Export, plan_id: str,
               batch_size: int, concurrency: int, progress: Callable[[str], None] = lambda _: None) -> ApplyCounts:
    with warehouse.engine.connect() as connection:
        return _apply(client, HeldConnection(connection), export, plan_id, batch_size, concurrency, progress)


def _apply(client: CampaignRestClient, warehouse: HeldConnection, export: Export, plan_id: str, batch_size: int,
           concurrency: int, progress: Callable[[str], None]) -> ApplyCounts:
    counts = ApplyCounts()
    _recover(client, warehouse, export, plan_id, counts)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=f"export-{export.name}") as pool:
        for action in ORDER:
            batches = _batches(_pages(warehouse, export, plan_id, action), batch_size, counts.actions, action)
            _send_all(pool, client, warehouse, export, plan_id, batches, concurrency, counts)
            if counts.actions[action]:
                progress(f"{action}: {counts.actions[action]:,} rows")
    return counts


def _send_all(pool: ThreadPoolExecutor, client: CampaignRestClient, warehouse: HeldConnection, export: Export,
              plan_id: str, batches: Iterator[list[PlannedRow]], concurrency: int, counts: ApplyCounts) -> None:
    """Keep `concurrency` batches in flight; record each as it completes (on this thread)."""
    pending: dict[Future, list[PlannedRow]] = {}

    def submit() -> bool:
        batch = next(batches, None)
        if batch is None:
            return False
        with warehouse.begin() as connection:
            mark_in_flight(connection, export, plan_id, batch)
        pending[pool.submit(send_batch, client, export.recipient_list_id, batch)] = batch
        return True

    failure: BaseException | None = None
    while len(pending) < concurrency and submit():
        pass
    while pending:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            batch = pending.pop(future)
            if future.exception() is not None:
                # The batch stays in flight; the batches still out are recorded before giving up.
                failure = failure or future.exception()
                continue
            with warehouse.begin() as connection:
                counts.statuses.update(record_batch(connection, export, plan_id, batch, future.result(), _now()))
            counts.batches += 1
            if failure is None:
                submit()
    if failure is not None:
        raise failure
