"""Write one pass of one list inside the caller's transaction, set-based in the warehouse.

The pass's rows are bulk-loaded into a temporary staging table; then, per recipient:
- not in the table: inserted (`new`);
- in the table but different (any seed field or attribute), and not older than the stored row:
  deleted and inserted again (`updated`; `restored` when the stored row was marked deleted);
- identical: left alone, so `imported_at` says when a row last changed.
A full pass then stamps `deleted_at` on the list's rows it did not see (`deleted`). Counting first
and writing after is exact because the caller holds the list's lock for the whole transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa
import sqlalchemy as sa

from ...warehouse.bulk_load import load_arrow

STAGING = "episerver_recipients_staging"
_KEY = "ep_recipient_id"
_NOT_COMPARED = {"recipient_list_id", _KEY, "last_active_ts", "imported_at", "deleted_at"}


@dataclass(frozen=True)
class MergeCounts:
    new: int
    updated: int
    restored: int
    deleted: int


def _staging_table(table: sa.Table) -> sa.Table:
    columns = [sa.Column(c.name, c.type) for c in table.columns]
    return sa.Table(STAGING, sa.MetaData(), *columns, prefixes=["TEMPORARY"])


def _conditions(table: sa.Table, staged: sa.Table, list_id: int):
    same_key = sa.and_(table.c.recipient_list_id == list_id, table.c[_KEY] == staged.c[_KEY])
    differs = sa.or_(*(table.c[c.name].is_distinct_from(staged.c[c.name])
                       for c in table.columns if c.name not in _NOT_COMPARED))
    not_older = sa.or_(table.c.ep_modified_date.is_(None), staged.c.ep_modified_date.is_(None),
                       staged.c.ep_modified_date >= table.c.ep_modified_date)
    restored = table.c.deleted_at.is_not(None)
    replaced = sa.or_(restored, sa.and_(differs, not_older))
    return same_key, replaced, restored


def merge_list(
    connection: sa.Connection, table: sa.Table, list_id: int, batches: Iterable[pa.RecordBatch], *,
    mark_deletions: bool, stamp: dt.datetime,
) -> MergeCounts:
    staged = _staging_table(table)
    connection.execute(sa.schema.CreateTable(staged))
    for batch in batches:
        load_arrow(connection, staged, batch)
    same_key, replaced, restored = _conditions(table, staged, list_id)

    found = sa.exists().where(same_key)
    new, updated, back = connection.execute(
        sa.select(
            sa.func.count().filter(~found),
            sa.func.count().filter(sa.exists().where(same_key, replaced, ~restored)),
            sa.func.count().filter(sa.exists().where(same_key, restored)),
        ).select_from(staged)
    ).one()
    unseen = sa.and_(table.c.recipient_list_id == list_id, table.c.deleted_at.is_(None),
                     ~sa.exists().where(staged.c[_KEY] == table.c[_KEY]))
    deleted = connection.execute(sa.select(sa.func.count()).select_from(table).where(unseen)).scalar_one() \
        if mark_deletions else 0

    connection.execute(sa.delete(table).where(table.c.recipient_list_id == list_id,
                                              sa.exists().where(same_key, replaced)))
    names = [c.name for c in table.columns]
    connection.execute(sa.insert(table).from_select(names, sa.select(*(staged.c[n] for n in names)).where(~found)))
    if mark_deletions:
        connection.execute(sa.update(table).where(unseen).values(deleted_at=stamp))
    connection.execute(sa.schema.DropTable(staged))
    return MergeCounts(new=new, updated=updated, restored=back, deleted=deleted)
