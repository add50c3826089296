"""The plan rows apply still has to send, a page at a time, with what the ledger and retry schedule hold for them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import repeat
from typing import TypeVar

import sqlalchemy as sa

from ...warehouse.arrow_reads import duckdb_arrow
from .apply_record import Earlier, earlier_state, tables_with_rows_of
from .apply_send import PlannedRow
from .config import Export
from .tables import plan_rows, sync_results

ORDER = ("remove", "add", "update", "clear_membership", "forget")
"""The order of actions: removals, adds, updates and membership clears, exits without a write."""
PAGE_ROWS = {"postgresql": 20_000, "duckdb": 100_000}
"""PostgreSQL reads a page by its index, with a LIMIT. DuckDB has no index on the plan's rows: a page
with a LIMIT was a top-N over the whole plan (5.2 s CPU for 1,000,000 rows in pages of 100,000), so
its pages are ranges between bounds found by one sort (`_bounds`), each filtered and sorted alone,
and handed over as Arrow (2.1 s)."""
T = TypeVar("T")
Page = tuple[list[PlannedRow], Earlier]


def _in_range(table: sa.Table, after: str | None, last: str | None) -> list[sa.ColumnElement[bool]]:
    bounds = [] if after is None else [table.c.recipient_id > after]
    return bounds if last is None else [*bounds, table.c.recipient_id <= last]


def rows(connection: sa.Connection, export: Export, plan_id: str, action: str, where: sa.ColumnElement[bool],
         after: str | None = None, limit: int | None = None, last: str | None = None) -> list[PlannedRow]:
    """The action's plan rows matching `where`, in (`after`, `last`], by recipient id. The action, known, is
    not read: a text less to decode per row. The rows come from the driver, without a SQLAlchemy row
    each (a quarter less CPU on PostgreSQL, and a third fewer garbage collections); DuckDB hands them
    over as Arrow columns (a fifth less CPU than through its cursor; through COPY and CSV,
    PostgreSQL's cost half again as much)."""
    query = (sa.select(plan_rows.c.recipient_id, plan_rows.c.email, plan_rows.c.payload)
             .where(plan_rows.c.plan_id == plan_id, plan_rows.c.export == export.name, plan_rows.c.action == action,
                    where, *_in_range(plan_rows, after, last))
             .order_by(plan_rows.c.recipient_id).limit(limit))
    if connection.dialect.name == "duckdb":
        table = duckdb_arrow(connection, query)
        ids, emails, payloads = (table.column(index).to_pylist() for index in range(3))
        return list(map(PlannedRow, ids, emails, repeat(action), payloads))
    compiled = query.compile(dialect=connection.dialect)
    with connection.connection.driver_connection.cursor() as cursor:
        cursor.execute(str(compiled), compiled.construct_params())
        return [PlannedRow(recipient_id, email, action, payload) for recipient_id, email, payload in cursor.fetchall()]


def _handled_ids(connection: sa.Connection, export: Export, plan_id: str, after: str | None, last: str) -> set[str]:
    """Ids of the plan in (after, last] that have a result. Rows marked in flight by this apply need no
    check: pages move forward, and the marks of a dead apply are settled before the first page."""
    return set(connection.execute(sa.select(sync_results.c.recipient_id).where(
        sync_results.c.plan_id == plan_id, sync_results.c.export == export.name,
        *_in_range(sync_results, after, last))).scalars())


def of_action(export: Export, plan_id: str, action: str, *where: sa.ColumnElement[bool]) -> sa.Select:
    return sa.select(plan_rows.c.recipient_id).where(
        plan_rows.c.plan_id == plan_id, plan_rows.c.export == export.name, plan_rows.c.action == action, *where)


def _bounds(connection: sa.Connection, export: Export, plan_id: str, action: str) -> list[str] | None:
    """DuckDB: the recipient id of every PAGE_ROWS-th row of the action, ascending, the last ids of its pages
    but the last; None on PostgreSQL. The action's rows do not change while the apply runs."""
    if connection.dialect.name != "duckdb":
        return None
    numbered = of_action(export, plan_id, action).add_columns(
        sa.func.row_number().over(order_by=plan_rows.c.recipient_id).label("n")).subquery()
    return list(connection.execute(sa.select(numbered.c.recipient_id)
                                   .where(numbered.c.n % PAGE_ROWS["duckdb"] == 0)
                                   .order_by(numbered.c.recipient_id)).scalars())


def _page(connection: sa.Connection, export: Export, plan_id: str, action: str, after: str | None,
          bound: str | None, lookups: tuple[sa.Table, ...]) -> tuple[Page, str] | None:
    """The page after `after` and its last id; None at the end. `bound`: the page's last id when known
    (DuckDB's pages but the last), else a page is PAGE_ROWS rows. `lookups`: the tables that may hold
    rows of the action's recipients.

    A page is read by its index alone and the ids already recorded in its id range are dropped after: an
    anti-join per page let PostgreSQL pick a plan from statistics taken while the results table was
    still empty, rescanning it per row (5 s a page at 200,000 rows)."""
    limit = PAGE_ROWS["postgresql"] if connection.dialect.name == "postgresql" else None
    page = rows(connection, export, plan_id, action, sa.true(), after, limit, bound)
    if not page:
        return None
    last = page[-1].recipient_id
    done = _handled_ids(connection, export, plan_id, after, last)
    todo = [row for row in page if row.recipient_id not in done]
    earlier = Earlier({}, {})
    if todo and lookups:
        earlier = earlier_state(connection, export, [r.recipient_id for r in todo],
                                of_action(export, plan_id, action, *_in_range(plan_rows, after, last)), lookups)
    return (todo, earlier), last


def actions_in(connection: sa.Connection, export: Export, plan_id: str) -> set[str]:
    """The actions the plan has rows of, in one scan of its rows: an action without rows cost a scan of its
    own twice (the ledger check and the first page each read the whole plan; in a backfill four of
    the five actions are empty: 4.2 ms CPU per 1000 rows in PostgreSQL's parallel workers at
    1,000,000)."""
    return set(connection.execute(sa.select(plan_rows.c.action).distinct().where(
        plan_rows.c.plan_id == plan_id, plan_rows.c.export == export.name)).scalars())


def pages(read: Callable[[Callable[[sa.Connection], T]], T], export: Export, plan_id: str,
          action: str) -> Iterator[Page]:
    """The action's rows without a result, by recipient id; `read` runs a query on the warehouse."""
    lookups, bounds = read(lambda connection: (
        tables_with_rows_of(connection, export, of_action(export, plan_id, action)),
        _bounds(connection, export, plan_id, action)))
    after, upcoming = None, iter(bounds or ())
    while True:
        bound = next(upcoming, None)
        found = read(lambda connection: _page(connection, export, plan_id, action, after, bound, lookups))
        if found is None:
            return
        (todo, earlier), after = found
        if todo:
            yield todo, earlier
