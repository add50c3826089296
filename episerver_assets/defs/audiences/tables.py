"""The audiences' warehouse tables: current members, their enter/exit history, sizes per computation."""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA = "audiences"
TS = sa.DateTime(timezone=True)

metadata = sa.MetaData()


def _member_columns() -> list[sa.Column]:
    return [
        sa.Column("audience", sa.Text, nullable=False, comment="the audience's slug"),
        sa.Column("email", sa.Text, nullable=False,
                  comment="the member: lower-cased, trimmed e-mail address (the profile's, else the contact's)"),
        sa.Column("person_id", sa.Text, comment="profiles.user_profiles.person_id; NULL: a CRM contact only"),
    ]


audience_members = sa.Table(
    "audience_members", metadata, *_member_columns(),
    sa.Column("entered_at", TS, nullable=False, comment="when the member entered (kept while the member stays)"),
    schema=SCHEMA,
    comment="One row per audience and member, as of the last computation.",
)

audience_history = sa.Table(
    "audience_history", metadata, *_member_columns(),
    sa.Column("event", sa.Text, nullable=False, comment="enter or exit"),
    sa.Column("event_at", TS, nullable=False, comment="the computation that saw the change"),
    schema=SCHEMA,
    comment="Every entry into and exit from an audience; a member who comes back enters again.",
)

audience_sizes = sa.Table(
    "audience_sizes", metadata,
    sa.Column("audience", sa.Text, nullable=False, comment="the audience's slug"),
    sa.Column("computed_at", TS, nullable=False, comment="the computation"),
    sa.Column("members", sa.BigInteger, nullable=False, comment="members after it"),
    sa.Column("entered", sa.BigInteger, nullable=False, comment="members who entered"),
    sa.Column("exited", sa.BigInteger, nullable=False, comment="members who left"),
    schema=SCHEMA,
    comment="Each audience's size and changes per computation: the sizes over time.",
)

POSTGRESQL_INDEXES = (
    sa.Index("audience_members_by_member", audience_members.c.audience, audience_members.c.email, unique=True),
    sa.Index("audience_history_by_time", audience_history.c.audience, audience_history.c.event_at),
    sa.Index("audience_members_by_person", audience_members.c.person_id),
)
"""Each computation compares every member with the new candidates: PostgreSQL joins them by index. An
export's plan finds the members of the profiles rebuilt since it last looked by person, and the changes
since then by time.
DuckDB gets none, as for the profiles: it keeps key indexes in memory and its scans are fast enough."""
