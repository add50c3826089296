"""What a refresh records: the rejected rows of each run, and the run itself once it succeeded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pyarrow as pa
import sqlalchemy as sa

from ...campaign.soap import AddAll3Summary
from ...warehouse.bulk_load import load_arrow
from .tables import refresh_results, refresh_runs


def code_counts(summary: AddAll3Summary) -> dict[str, int]:
    """Metadata entries `code/<n>_<name>` for all eight codes, zeros included."""
    return {f"code/{code.value}_{code.name.lower()}": count for code, count in summary.counts.items()}


def _rejected_rows(run_id: str, list_id: int, summary: AddAll3Summary, entities: Mapping[str, tuple[str, str]],
                   stamp: dt.datetime) -> pa.Table:
    rows = [
        {"run_id": run_id, "recipient_list_id": list_id, "recipient_id": recipient_id,
         "entity_type": entities[recipient_id][0], "entity_id": entities[recipient_id][1],
         "code": code.value, "code_name": code.name, "recorded_at": stamp}
        for code, recipient_ids in summary.recipient_ids.items() for recipient_id in recipient_ids
    ]
    schema = pa.schema([("run_id", pa.string()), ("recipient_list_id", pa.int64()), ("recipient_id", pa.string()),
                        ("entity_type", pa.string()), ("entity_id", pa.string()), ("code", pa.int32()),
                        ("code_name", pa.string()), ("recorded_at", pa.timestamp("us", tz="UTC"))])
    return pa.Table.from_pylist(rows, schema=schema)


def record_refresh(connection: sa.Connection, run_id: str, list_id: int, optin_id: int,
                   summary: AddAll3Summary, entities: Mapping[str, tuple[str, str]]) -> None:
    """The rejected rows and the successful run, in the transaction that holds the list's lock: the
    guard's baseline moves only when everything about the run is stored, and before the next refresh
    of the list may start."""
    stamp = dt.datetime.now(dt.UTC)
    load_arrow(connection, refresh_results, _rejected_rows(run_id, list_id, summary, entities, stamp))
    connection.execute(refresh_runs.insert().values(
        run_id=run_id, recipient_list_id=list_id, optin_id=optin_id, selected=summary.total,
        added=summary.added, finished_at=stamp))
