"""Who is due, and recording outcomes: the stream rows and the ledger in one transaction.

A member of the source audience is due while the ledger has no row for their current entry
(audience, address, entered_at): re-entering the audience makes them due again. With
`existing_users: false` only entries after the enrichment's first run count. `retry_failed` makes
the current entries whose outcome was a failure due again; their ledger rows are replaced.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from ...warehouse.bulk_load import load_arrow
from ..audiences.tables import audience_members
from ..profiles.tables import user_profiles
from .attempts import Outcome
from .config import Enrichment
from .tables import BASE_STREAM_COLUMNS, ledger, state


@dataclass(frozen=True)
class DueMember:
    email: str
    person_id: str | None
    entered_at: dt.datetime
    fields: dict[str, Any]


def activated_at(connection: sa.Connection, enrichment: Enrichment, now: dt.datetime) -> dt.datetime:
    """The enrichment's first run (recorded now if this is it)."""
    found = connection.execute(sa.select(state.c.activated_at).where(state.c.enrichment == enrichment.slug)).scalar()
    if found is None:
        connection.execute(sa.insert(state).values(enrichment=enrichment.slug, activated_at=now))
        return now
    return found


def due_members(connection: sa.Connection, enrichment: Enrichment, since: dt.datetime | None,
                retry_failed: bool, limit: int | None) -> list[DueMember]:
    """The members to send, oldest entry first; `since`: only entries after it (existing_users false)."""
    profile_fields = [f for f in enrichment.fields if f != "email"]
    selected = ", ".join(f"p.{f}" for f in profile_fields)
    settled = "" if not retry_failed else "AND l.status = 'enriched'"
    after = "" if since is None else "AND m.entered_at > :since"
    rows = connection.execute(sa.text(f"""
        SELECT m.email, m.person_id, m.entered_at{', ' + selected if selected else ''}
        FROM {audience_members.fullname} m LEFT JOIN {user_profiles.fullname} p ON p.person_id = m.person_id
        WHERE m.audience = :audience {after}
          AND NOT EXISTS (SELECT 1 FROM {ledger.fullname} l WHERE l.enrichment = :slug AND l.email = m.email
                          AND l.entered_at = m.entered_at {settled})
        ORDER BY m.entered_at, m.email {'' if limit is None else 'LIMIT :limit'}"""),
        {"audience": enrichment.source_audience, "slug": enrichment.slug, "since": since, "limit": limit}).all()
    return [DueMember(row.email, row.person_id, row.entered_at,
                      {"email": row.email, **{f: getattr(row, f) for f in profile_fields}}) for row in rows]


def _ts(values: list[dt.datetime | None]) -> pa.Array:
    return pa.array(values, pa.timestamp("us", tz="UTC"))


def record_outcomes(connection: sa.Connection, enrichment: Enrichment, stream: sa.Table,
                    sent: list[tuple[DueMember, Outcome]], replace_failures: bool) -> None:
    """Append the stream rows and write the ledger (replacing the same entries' earlier failures)."""
    if not sent:
        return
    now = dt.datetime.now(dt.UTC)
    members = [member for member, _ in sent]
    outcomes = [outcome for _, outcome in sent]
    if replace_failures:
        connection.execute(ledger.delete().where(
            ledger.c.enrichment == enrichment.slug, ledger.c.status == "failed",
            ledger.c.email == sa.bindparam("member"), ledger.c.entered_at == sa.bindparam("entered")),
            [{"member": m.email, "entered": m.entered_at} for m in members])
    load_arrow(connection, ledger, pa.table({
        "enrichment": [enrichment.slug] * len(sent), "email": [m.email for m in members],
        "entered_at": _ts([m.entered_at for m in members]), "request_id": [o.request_id for o in outcomes],
        "status": [o.status for o in outcomes], "recorded_at": _ts([now] * len(sent))}))
    mapped_columns = [c.name for c in stream.columns if c.name not in BASE_STREAM_COLUMNS]
    load_arrow(connection, stream, pa.table({
        "request_id": [o.request_id for o in outcomes], "enrichment": [enrichment.slug] * len(sent),
        "email": [m.email for m in members], "person_id": [m.person_id for m in members],
        "entered_at": _ts([m.entered_at for m in members]), "status": [o.status for o in outcomes],
        "http_status": pa.array([o.http_status for o in outcomes], pa.int64()),
        "reason": [o.reason for o in outcomes], "attempts": pa.array([o.attempts for o in outcomes], pa.int64()),
        "body": [o.body for o in outcomes], "sent_at": _ts([o.sent_at for o in outcomes]),
        "received_at": _ts([o.received_at for o in outcomes]),
        **{c: pa.array([o.mapped.get(c) for o in outcomes], pa.string()) for c in mapped_columns}}))

