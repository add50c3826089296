"""Per list: the watermark of the recipients import and when it last read the whole list.

The watermark advances only in the transaction that writes the rows it covers, after every page of
the list was read: a failed page, or a failed write, leaves it (and the rows) as they were.

The new watermark is the latest `created`/`modified` seen, but never later than the moment the read
began minus WATERMARK_MARGIN: a recipient changed while the pages were being read may sit on a page
already read, and Campaign's clock may run ahead of ours. Incremental passes compare inclusively
(`>=`, `modified` has one-second resolution), so the recipients around the watermark are read again;
the merge leaves identical rows alone and counts them nowhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from ...warehouse import WarehouseResource
from .recipient_columns import columns_in_warehouse
from .recipient_tables import import_state

WATERMARK_MARGIN = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class ListState:
    watermark: dt.datetime | None
    last_full_pass_at: dt.datetime
    attributes: tuple[str, ...]


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def read_states(warehouse: WarehouseResource) -> dict[int, ListState]:
    """The stored state of every list imported so far (empty when the table does not exist yet)."""
    with warehouse.begin() as connection:
        if not columns_in_warehouse(connection, import_state):
            return {}
        rows = connection.execute(sa.select(import_state)).all()
    return {
        row.recipient_list_id: ListState(_utc(row.watermark), _utc(row.last_full_pass_at),
                                         tuple(row.attributes.splitlines()))
        for row in rows
    }


def needs_full_pass(state: ListState | None, attributes: list[str], full_pass_every_days: int,
                    now: dt.datetime) -> str | None:
    """Why this list's pass must read everything and mark deletions, or None for an incremental pass."""
    if state is None:
        return "first import"
    if tuple(sorted(attributes)) != state.attributes:
        return "the chosen attributes changed"
    # By calendar day (UTC): a daily schedule whose runs start a few seconds apart still makes a full
    # pass every `full_pass_every_days` runs.
    age = (now.date() - state.last_full_pass_at.date()).days
    if age >= full_pass_every_days:
        return f"the last full pass was {age} days ago (full_pass_every_days: {full_pass_every_days})"
    return None


def next_watermark(previous: dt.datetime | None, newest_seen: dt.datetime | None,
                   read_started: dt.datetime) -> dt.datetime | None:
    if newest_seen is None:
        return previous
    candidate = min(newest_seen, read_started - WATERMARK_MARGIN)
    return candidate if previous is None else max(previous, candidate)


def record_pass(connection: sa.Connection, list_id: int, state: ListState, now: dt.datetime) -> None:
    """Replace the list's state inside the transaction that wrote its rows."""
    connection.execute(sa.delete(import_state).where(import_state.c.recipient_list_id == list_id))
    connection.execute(sa.insert(import_state).values(
        recipient_list_id=list_id,
        watermark=state.watermark,
        last_full_pass_at=state.last_full_pass_at,
        attributes="\n".join(sorted(state.attributes)),
        updated_at=now,
    ))
