"""Recompute every audience inside the warehouse, in one transaction: members, history, sizes.

Candidates are the rows of `profiles.user_profiles p FULL OUTER JOIN crm.contacts c` on
`p.email = lower(trim(c.email))` that satisfy the audience's filter, one per address (a member's key
is the lower-cased address: the profile's, or for a contact without a profile, the contact's). A
profile without an address has nothing to join or export by and is in no audience. Compared with the
current members: new ones enter (entered_at = this computation), missing ones exit, staying ones keep
their entered_at; a member who exited and comes back enters again. Audiences no longer configured
lose all their members (exit events).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from ...warehouse.indexes import create_missing_indexes
from ..crm.contacts import contacts
from ..profiles.tables import user_profiles
from .config import Audience
from .tables import POSTGRESQL_INDEXES, audience_history, audience_members, audience_sizes

CANDIDATES = "audience_candidates"
CHANGES = "audience_changes"
CONTACT_EMAIL = "NULLIF(lower(trim(c.email)), '')"


@dataclass(frozen=True)
class AudienceCounts:
    members: int
    entered: int
    exited: int


def _run(connection: sa.Connection, statement: str, **params) -> sa.CursorResult:
    return connection.execute(sa.text(statement), params)


def _fill_candidates(connection: sa.Connection, audiences: Sequence[Audience]) -> None:
    _run(connection, f"DROP TABLE IF EXISTS {CANDIDATES}")
    _run(connection, f"CREATE TEMPORARY TABLE {CANDIDATES} (audience TEXT NOT NULL, email TEXT NOT NULL, "
                     "person_id TEXT)")
    engine = connection.dialect.name
    for audience in audiences:
        member = f"coalesce(p.email, {CONTACT_EMAIL})"
        _run(connection, f"""
            INSERT INTO {CANDIDATES} (audience, email, person_id)
            SELECT :slug, {member}, max(p.person_id)
            FROM {user_profiles.fullname} p FULL OUTER JOIN {contacts.fullname} c ON p.email = {CONTACT_EMAIL}
            WHERE {member} IS NOT NULL AND ({audience.filter.sql(engine)})
            GROUP BY {member}""", slug=audience.slug)


def _apply_changes(connection: sa.Connection, at: dt.datetime) -> None:
    members = audience_members.fullname
    _run(connection, f"DROP TABLE IF EXISTS {CHANGES}")
    _run(connection, f"""
        CREATE TEMPORARY TABLE {CHANGES} AS
        SELECT m.audience, m.email, m.person_id, 'exit' AS event
        FROM {members} m LEFT JOIN {CANDIDATES} n ON n.audience = m.audience AND n.email = m.email
        WHERE n.email IS NULL
        UNION ALL
        SELECT n.audience, n.email, n.person_id, 'enter' AS event
        FROM {CANDIDATES} n LEFT JOIN {members} m ON m.audience = n.audience AND m.email = n.email
        WHERE m.email IS NULL""")
    _run(connection, f"INSERT INTO {audience_history.fullname} (audience, email, person_id, event, event_at) "
                     f"SELECT audience, email, person_id, event, :at FROM {CHANGES}", at=at)
    _run(connection, f"""DELETE FROM {members} WHERE EXISTS (SELECT 1 FROM {CHANGES} x WHERE x.event = 'exit'
                         AND x.audience = {members}.audience AND x.email = {members}.email)""")
    _run(connection, f"INSERT INTO {members} (audience, email, person_id, entered_at) "
                     f"SELECT audience, email, person_id, :at FROM {CHANGES} WHERE event = 'enter'", at=at)
    # A staying member's profile can change identity (two persons merged): follow it, keep entered_at.
    _run(connection, f"""UPDATE {members} SET person_id = n.person_id FROM {CANDIDATES} n
                         WHERE n.audience = {members}.audience AND n.email = {members}.email
                         AND n.person_id IS DISTINCT FROM {members}.person_id""")


def _counts(connection: sa.Connection, audiences: Sequence[Audience]) -> dict[str, AudienceCounts]:
    sizes = dict(_run(connection, f"SELECT audience, count(*) FROM {audience_members.fullname} GROUP BY audience")
                 .all())
    changes = {(a, e): n for a, e, n in _run(
        connection, f"SELECT audience, event, count(*) FROM {CHANGES} GROUP BY audience, event").all()}
    return {a.slug: AudienceCounts(int(sizes.get(a.slug, 0)), int(changes.get((a.slug, "enter"), 0)),
                                   int(changes.get((a.slug, "exit"), 0)))
            for a in audiences}


def recompute_audiences(connection: sa.Connection, audiences: Sequence[Audience],
                        at: dt.datetime) -> dict[str, AudienceCounts]:
    """Recompute inside the caller's transaction (which should hold the audiences' lock); `at` stamps
    entries, exits and the sizes row. Returns each configured audience's size and changes."""
    if connection.dialect.name == "postgresql":
        create_missing_indexes(connection, POSTGRESQL_INDEXES)
    _fill_candidates(connection, audiences)
    _apply_changes(connection, at)
    counts = _counts(connection, audiences)
    if counts:
        connection.execute(sa.insert(audience_sizes), [
            {"audience": slug, "computed_at": at, "members": c.members, "entered": c.entered, "exited": c.exited}
            for slug, c in counts.items()])
    _run(connection, f"DROP TABLE {CANDIDATES}")
    _run(connection, f"DROP TABLE {CHANGES}")
    return counts
