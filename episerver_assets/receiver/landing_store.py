"""The landing store: one row per accepted request, raw body and headers of interest, in SQLite or PostgreSQL.

Locally it is a SQLite file in WAL mode, so Dagster runs can read it while the receiver writes; with
`synchronous=FULL` a commit has reached the disk (WAL fsynced) before it returns, which is what makes
"2xx only after a durable commit" true even if the machine loses power, not only if the process dies.
`NORMAL` would survive a killed process but may lose the last commits on power loss or an OS crash,
and a 2xx tells Campaign not to send the event again, so FULL it is. Grouped commits (see
`group_commit`) pay the fsync once per group rather than once per request: measured with
`benchmarks/receiver_throughput.py`, the receiver with FULL keeps pace with a reference receiver
using FULL, and the store alone takes tens of thousands of single-event requests per second with
FULL, far above what one receiver process parses. On PostgreSQL the server's default
`synchronous_commit=on` gives the same guarantee.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

metadata = sa.MetaData()

# Row ids only grow, so a reader can follow the store with a cursor on `id`.
landed_requests = sa.Table(
    "landed_requests",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("event_count", sa.Integer, nullable=False),
    sa.Column("content_type", sa.Text),
    sa.Column("user_agent", sa.Text),
    sa.Column("request_id", sa.Text),
    sa.Column("body", sa.LargeBinary, nullable=False),
)

# One row, rewritten by /readyz: proof that a write transaction can commit right now.
readiness_probe = sa.Table(
    "receiver_readiness_probe",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
)

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _engine_url(url: str) -> sa.engine.URL:
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgres", "postgresql", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in ("sqlite", "postgresql+psycopg"):
        raise ValueError(f"landing store must be sqlite:/// or postgresql://, got {parsed.drivername}://")
    return parsed


def _set_sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def open_landing_store(url: str) -> sa.Engine:
    """An engine on the store with its tables created; SQLite's file and directory made if missing."""
    parsed = _engine_url(url)
    if parsed.drivername == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed)
        sa.event.listen(engine, "connect", _set_sqlite_pragmas)
    else:
        engine = sa.create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    metadata.create_all(engine)
    return engine
