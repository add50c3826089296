"""The rows recording writes, gathered column by column: an Arrow table built from column lists costs
about a seventeenth of one built from a list of dicts (266 ms for 10,000 ledger rows, mostly datetimes)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from .apply_send import PlannedRow, RowOutcome
from .config import Export

ARROW_TYPES = ((sa.DateTime, pa.timestamp("us", tz="UTC")), (sa.Boolean, pa.bool_()),
               (sa.BigInteger, pa.int64()), (sa.Integer, pa.int32()), (sa.Text, pa.string()))


def _arrow_type(column: sa.Column) -> pa.DataType:
    return next(arrow for kind, arrow in ARROW_TYPES if isinstance(column.type, kind))


class Columns:
    def __init__(self) -> None:
        self._values: defaultdict[str, list] = defaultdict(list)
        self.rows = 0

    def add(self, **values: Any) -> None:
        for name, value in values.items():
            self._values[name].append(value)
        self.rows += 1

    def values(self, name: str) -> list:
        return self._values[name]

    def table(self, table: sa.Table, constant: dict[str, Any]) -> pa.Table:
        """The rows as `table`'s columns; `constant` holds the columns with one value for every row."""
        arrays = {}
        for column in table.columns:
            values = [constant[column.name]] * self.rows if column.name in constant else self._values[column.name]
            if len(values) != self.rows:
                raise ValueError(f"{table.fullname}.{column.name}: {len(values)} values for {self.rows} rows")
            arrays[column.name] = pa.array(values, _arrow_type(column))
        return pa.table(arrays)


def ledger_entry(export: Export, row: PlannedRow, outcome: RowOutcome, old: tuple | None,
                 at: dt.datetime) -> dict[str, Any]:
    """The row's ledger entry after a successful write; `old` is its earlier (added_by_us,
    membership_sent, first_sent_at) or None."""
    was_ours, membership, first = old if old is not None else (False, None, at)
    entry = {"recipient_id": row.recipient_id, "email": row.email,
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
