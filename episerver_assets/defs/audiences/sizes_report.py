"""Markdown for the UI: each audience's size over its recent computations, and the definitions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa

from .config import Audience
from .tables import audience_sizes

RECENT_COMPUTATIONS = 12


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def sizes_over_time(connection: sa.Connection, audiences: Sequence[Audience]) -> str:
    """One row per recent computation (newest last), one column per audience: members (+entered/-exited)."""
    recent = sa.select(audience_sizes.c.computed_at).distinct() \
        .order_by(audience_sizes.c.computed_at.desc()).limit(RECENT_COMPUTATIONS).subquery()
    rows = connection.execute(sa.select(audience_sizes).where(audience_sizes.c.computed_at.in_(
        sa.select(recent.c.computed_at)))).all()
    by_time: dict = {}
    for row in rows:
        by_time.setdefault(row.computed_at, {})[row.audience] = f"{row.members} (+{row.entered}/-{row.exited})"
    header = "| computed at (UTC) | " + " | ".join(a.slug for a in audiences) + " |"
    lines = [header, "|" + " --- |" * (len(audiences) + 1)]
    for moment in sorted(by_time):
        cells = [by_time[moment].get(a.slug, "") for a in audiences]
        lines.append(f"| {moment.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def definitions_table(audiences: Sequence[Audience]) -> str:
    lines = ["| audience | slug | description | filter |", "| --- | --- | --- | --- |"]
    lines += [f"| {_cell(a.name)} | {a.slug} | {_cell(a.description)} | `{_cell(a.filter.text.strip())}` |"
              for a in audiences]
    return "\n".join(lines)
