"""The send ledger: one row per send, written before the upload and after each step of it.

The row is what makes a retry safe. `reserved` is written before the first byte goes out (it also
reserves the file name: the name is unique in the table), `uploaded` once the server holds the file
under its final name, `processed` or `failed` once the server's log says how the import went. A retry
that finds `uploaded` only waits for the outcome; one that finds `reserved` looks on the server first.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import sqlalchemy as sa

from ...warehouse import WarehouseResource

SCHEMA = "closed_loop_send"
RESERVED, UPLOADED, PROCESSED, FAILED = "reserved", "uploaded", "processed", "failed"

metadata = sa.MetaData()

sends = sa.Table(
    "sends",
    metadata,
    sa.Column("send_id", sa.Text, primary_key=True, comment="the run config's send_id, else the root run id"),
    sa.Column("file_name", sa.Text, nullable=False, unique=True, comment="YYYYMMDDHHMMSS_subscribers.csv (UTC)"),
    sa.Column("broadmail_id", sa.BigInteger, nullable=False, comment="source mailing id"),
    sa.Column("wave_id", sa.BigInteger, comment="WAVE_ID of every row, if set"),
    sa.Column("status", sa.Text, nullable=False, comment="reserved, uploaded, processed or failed"),
    sa.Column("rows", sa.BigInteger, comment="recipient rows in the file"),
    sa.Column("size_bytes", sa.BigInteger),
    sa.Column("sha256", sa.Text),
    sa.Column("import_counts", sa.Text, comment="the server log's counts as a JSON object"),
    sa.Column("error", sa.Text, comment="the server's error file, addresses masked"),
    sa.Column("reserved_at", sa.DateTime, nullable=False, comment="UTC"),
    sa.Column("uploaded_at", sa.DateTime, comment="UTC"),
    sa.Column("finished_at", sa.DateTime, comment="UTC: when the outcome was recorded"),
    schema=SCHEMA,
    comment="Closed-loop sends: which file each send uploaded and what the server's import made of it.",
)


@dataclass(frozen=True)
class Send:
    send_id: str
    file_name: str
    status: str
    rows: int | None
    size_bytes: int | None
    sha256: str | None
    import_counts: dict[str, int] | None
    error: str | None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def ensure_ledger(warehouse: WarehouseResource) -> None:
    warehouse.ensure_table(sends)


def find_send(warehouse: WarehouseResource, send_id: str) -> Send | None:
    columns = (sends.c.send_id, sends.c.file_name, sends.c.status, sends.c.rows, sends.c.size_bytes,
               sends.c.sha256, sends.c.import_counts, sends.c.error)
    with warehouse.begin() as connection:
        row = connection.execute(sa.select(*columns).where(sends.c.send_id == send_id)).one_or_none()
    if row is None:
        return None
    counts = json.loads(row.import_counts) if row.import_counts else None
    return Send(row.send_id, row.file_name, row.status, row.rows, row.size_bytes, row.sha256, counts, row.error)


def file_name_taken(warehouse: WarehouseResource, file_name: str) -> bool:
    with warehouse.begin() as connection:
        return connection.execute(sa.select(sends.c.send_id).where(sends.c.file_name == file_name)).first() is not None


def try_reserve(
    warehouse: WarehouseResource, send_id: str, file_name: str, broadmail_id: int, wave_id: int | None
) -> bool:
    """Insert the `reserved` row; False when another send holds the name (the unique key decides)."""
    try:
        with warehouse.begin() as connection:
            connection.execute(sa.insert(sends).values(
                send_id=send_id, file_name=file_name, broadmail_id=broadmail_id, wave_id=wave_id,
                status=RESERVED, reserved_at=_now(),
            ))
    except sa.exc.IntegrityError:
        if find_send(warehouse, send_id) is not None:
            raise  # the same send reserved concurrently: let this attempt fail rather than upload twice
        return False
    return True


def mark_uploaded(
    warehouse: WarehouseResource, send_id: str, rows: int | None, size_bytes: int | None, sha256: str | None
) -> None:
    _update(warehouse, send_id, status=UPLOADED, rows=rows, size_bytes=size_bytes, sha256=sha256,
            uploaded_at=_now())


def record_outcome(warehouse: WarehouseResource, send_id: str, counts: dict[str, int], error: str | None) -> None:
    _update(warehouse, send_id, status=FAILED if error else PROCESSED, import_counts=json.dumps(counts),
            error=error, finished_at=_now())


def _update(warehouse: WarehouseResource, send_id: str, **values: object) -> None:
    with warehouse.begin() as connection:
        connection.execute(sa.update(sends).where(sends.c.send_id == send_id).values(**values))
