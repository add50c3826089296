"""Fill the profiles' input tables row by row and run a build, for the user-profile tests."""

from __future__ import annotations

import datetime as dt
import itertools

import sqlalchemy as sa

from episerver_assets.defs.activity.activity_tables import episerver_activity
from episerver_assets.defs.activity.urls import url_hash, url_main
from episerver_assets.defs.campaign.recipient_tables import episerver_recipients
from episerver_assets.defs.profiles.build import BuildResult, build_profiles
from episerver_assets.defs.profiles.tables import closed_loop_table, ensure_profile_tables, user_profiles
from episerver_assets.warehouse import WarehouseResource

UTC = dt.UTC
T0 = dt.datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)
_ids = itertools.count(1)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def ms(moment: dt.datetime) -> int:
    return round(moment.timestamp() * 1000)


closed_loop = closed_loop_table


def ensure_tables(warehouse: WarehouseResource) -> None:
    ensure_profile_tables(warehouse)


def event(type: str, when: dt.datetime, email: str | None = None, recipient: str | None = None,
          mailing: str | None = "501", list_id: str | None = "77", client: str | None = "9001",
          link: str | None = None) -> dict:
    """One `activity.episerver_activity` row, normalised as the activity asset stores it."""
    number = next(_ids)
    main = url_main(link)
    return {
        "event_id": f"event-{number:08d}", "event_date": when.date(), "event_ts": when, "type": type.lower(),
        "email": email.lower() if email else email, "email_original": email, "ep_recipient_id": recipient,
        "mailing_id": mailing, "recipient_list_id": list_id, "client_id": client, "link": link,
        "url_main": main, "url_hash": url_hash(main), "landed_request_id": number, "received_at": when,
    }


def recipient(list_id: int, recipient_id: str, email: str | None, created: dt.datetime,
              modified: dt.datetime, deleted: bool = False, imported: dt.datetime = T0) -> dict:
    return {
        "recipient_list_id": list_id, "ep_recipient_id": recipient_id, "email": email,
        "ep_created_date": created, "ep_modified_date": modified, "last_active_ts": max(created, modified),
        "imported_at": imported, "deleted_at": imported if deleted else None,
    }


def insert(warehouse: WarehouseResource, table: sa.Table, rows: list[dict]) -> None:
    if rows:
        with warehouse.begin() as connection:
            connection.execute(sa.insert(table), rows)


def add_events(warehouse: WarehouseResource, *rows: dict) -> None:
    insert(warehouse, episerver_activity, list(rows))


def add_recipients(warehouse: WarehouseResource, *rows: dict) -> None:
    insert(warehouse, episerver_recipients, list(rows))


def build(warehouse: WarehouseResource, full_rebuild: bool = False) -> BuildResult:
    ensure_tables(warehouse)
    with warehouse.begin() as connection:
        return build_profiles(connection, full_rebuild=full_rebuild)


def profile_rows(warehouse: WarehouseResource) -> list[dict]:
    """Every profile row without its rebuild time, in person_id order."""
    columns = [c for c in user_profiles.columns if c.name != "updated_at"]
    with warehouse.begin() as connection:
        result = connection.execute(sa.select(*columns).order_by(user_profiles.c.person_id))
        return [dict(row._mapping) for row in result]


def profile_of(warehouse: WarehouseResource, email: str) -> dict:
    rows = [row for row in profile_rows(warehouse) if row["email"] == email]
    assert len(rows) == 1, f"{len(rows)} profiles with email {email}"
    return rows[0]


def closed_loop_row(name: str, user_id: str, created: dt.datetime, **values) -> dict:
    """A closed-loop row with its ids filled in; `created` is naive, as Campaign writes it."""
    row = {column.name: None for column in closed_loop(name).columns}
    ids = {"link_id": 1, "mailing_id": 501, "mailing_to_user_id": 2, "mailing_group_id": 9001}
    row.update({key: value for key, value in ids.items() if key in row})
    row.update(user_id=user_id, created=created.replace(tzinfo=None), partition_date=created.date(), **values)
    return row


def add_closed_loop(warehouse: WarehouseResource, name: str, *rows: dict) -> None:
    insert(warehouse, closed_loop(name), list(rows))


LINKS = ("http://www.lytics.io/?utm_source=google", "https://www.lytics.io/#pricing", "https://a.com/b?x=1",
         'https://ex.org/q?"quoted"&back\\slash', "https://ünï.example/päth/€", "https://ex.org/tab\there",
         "https://ex.org/a", "mailto:x@y.z", "")
TYPES = ("open", "click", "click", "sent", "bounce", "unsubscribe")


def generated_days(seed: int, days: int = 5, per_day: int = 40) -> list[dict]:
    """Days of mixed input: events with addresses in any case, recipient ids only, both (which join
    persons across days), awkward links; recipient rows added, re-imported and deleted; closed loop."""
    import random

    rng = random.Random(seed)
    addresses = [f"user{n}@example.com" for n in range(60)]
    recipient_ids = [f"R{n}" for n in range(40)]
    plan = []
    for day in range(days):
        start = T0 + dt.timedelta(days=day)
        events = []
        for _ in range(per_day):
            address = rng.choice(addresses)
            kind = rng.random()
            events.append(event(
                rng.choice(TYPES), start + dt.timedelta(seconds=rng.uniform(0, 80000)),
                email=None if kind < 0.2 else (address.upper() if rng.random() < 0.2 else address),
                recipient=rng.choice(recipient_ids) if kind < 0.2 or kind > 0.92 else None,
                mailing=rng.choice(["501", "502", "503", ""]), list_id=rng.choice(["1", "2"]),
                client=rng.choice(["9001", "9002"]), link=rng.choice(LINKS) if rng.random() < 0.6 else None))
        recipients = [recipient(rng.choice([1, 2]), f"R{n}", addresses[n].title(),
                                created=start - dt.timedelta(days=30), modified=start - dt.timedelta(hours=n),
                                deleted=day == 3 and n % 2 == 0, imported=start)
                      for n in range(day * 3, day * 3 + 5)]
        closed = [(name, closed_loop_row(name, rng.choice(addresses), start + dt.timedelta(minutes=n)))
                  for n, name in enumerate(rng.choice(["opens", "clicks", "unsubscribes"]) for _ in range(5))]
        closed.append(("responses", closed_loop_row("responses", rng.choice(addresses), start,
                                                    category=rng.choice(["fatal_bounce", "bounce", "unknown"]))))
        plan.append({"events": events, "recipients": recipients, "closed_loop": closed})
    return plan


def load_day(warehouse: WarehouseResource, day: dict) -> None:
    """Add a generated day: its events, its recipient rows (replacing same list and id), closed loop."""
    add_events(warehouse, *day["events"])
    with warehouse.begin() as connection:
        for row in day["recipients"]:
            connection.execute(sa.delete(episerver_recipients).where(
                (episerver_recipients.c.recipient_list_id == row["recipient_list_id"])
                & (episerver_recipients.c.ep_recipient_id == row["ep_recipient_id"])))
    add_recipients(warehouse, *day["recipients"])
    for name, row in day["closed_loop"]:
        add_closed_loop(warehouse, name, row)
