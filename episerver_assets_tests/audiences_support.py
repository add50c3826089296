"""Profiles and CRM contacts written row by row, and audience files, for the audience tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from episerver_assets.defs.audiences.config import Audience
from episerver_assets.defs.audiences.recompute import AudienceCounts, recompute_audiences
from episerver_assets.defs.audiences.tables import audience_history, audience_members, audience_sizes
from episerver_assets.defs.crm.contacts import contacts
from episerver_assets.defs.profiles.tables import ensure_profile_tables, user_profiles
from episerver_assets.warehouse import WarehouseResource

T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def ensure_tables(warehouse: WarehouseResource) -> None:
    ensure_profile_tables(warehouse)
    warehouse.ensure_table(contacts, audience_members, audience_history, audience_sizes)


def profile(person_id: str, email: str | None, opens: int = 0, clicks: int = 0, hard_bounces: int = 0,
            unsubscribes: int = 0, **values) -> dict:
    row = {column.name: None for column in user_profiles.columns}
    row.update(person_id=person_id, email=email, opens=opens, clicks=clicks, hard_bounces=hard_bounces,
               unsubscribes=unsubscribes, updated_at=T0, **values)
    return row


def contact(entity_id: str, email: str | None, entity_type: str = "contact", **values) -> dict:
    row = {column.name: None for column in contacts.columns}
    row.update(entity_type=entity_type, entity_id=entity_id, email=email, **values)
    return row


def replace_rows(warehouse: WarehouseResource, table: sa.Table, rows: list[dict]) -> None:
    with warehouse.begin() as connection:
        connection.execute(table.delete())
        if rows:
            connection.execute(sa.insert(table), rows)


def write_audiences(directory: Path, body: str, name: str = "audiences.yaml") -> Path:
    path = directory / name
    path.write_text(body, encoding="utf-8")
    return path


def recompute(warehouse: WarehouseResource, audiences: list[Audience], when: dt.datetime) -> dict[str, AudienceCounts]:
    with warehouse.exclusive_partition(audience_members, "all") as connection:
        return recompute_audiences(connection, audiences, when)


def members(warehouse: WarehouseResource) -> list[tuple]:
    """(audience, email, person_id, entered_at in UTC), sorted."""
    with warehouse.begin() as connection:
        rows = connection.execute(sa.select(audience_members)).all()
    return sorted((r.audience, r.email, r.person_id, r.entered_at.astimezone(dt.UTC)) for r in rows)


def history(warehouse: WarehouseResource, audience: str) -> list[tuple]:
    """(email, event, event_at in UTC) of one audience, in time order."""
    with warehouse.begin() as connection:
        rows = connection.execute(sa.select(audience_history).where(audience_history.c.audience == audience)).all()
    return sorted((r.event_at.astimezone(dt.UTC), r.email, r.event) for r in rows)

