"""Where suppressions come from: the closed-loop response tables, the REST API and SOAP RpcBlacklist.

Every reader yields `Suppression` records with the address lower-cased and trimmed, so that matching
is case-insensitive however Campaign or the CRM spelled it. Blocklist entries keep their wildcards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from ...campaign.rest import CampaignRestResource
from ...campaign.soap import CampaignSoapResource
from ...warehouse import WarehouseResource
from ..closed_loop.schemas.tables import response_table
from ..closed_loop.warehouse_tables import warehouse_table

HARD_BOUNCE, UNSUBSCRIBED, BLOCKLISTED = "hard_bounce", "unsubscribed", "blocklisted"
CLOSED_LOOP, REST, SOAP_BLOCKLIST = "closed_loop", "rest", "soap_blocklist"
CLOSED_LOOP_HARD_BOUNCE = "fatal_bounce"
"""The response files' category for a hard bounce (`bounce` and `temporary_bounce` are soft)."""


@dataclass(frozen=True)
class Suppression:
    address: str
    reason: str
    source: str
    suppressed_at: dt.datetime | None = None

    @property
    def is_pattern(self) -> bool:
        return "*" in self.address or "?" in self.address


def normalised(address: str) -> str:
    return address.strip().lower()


def _utc(stamp: dt.datetime | None) -> dt.datetime | None:
    if stamp is None:
        return None
    return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)


def closed_loop_suppressions(warehouse: WarehouseResource) -> Iterator[Suppression]:
    """Hard bounces and unsubscribes of the loaded response days; a table not loaded yet adds nothing."""
    queries = (
        ("responses", HARD_BOUNCE, lambda t: t.c.category == CLOSED_LOOP_HARD_BOUNCE),
        ("unsubscribes", UNSUBSCRIBED, lambda t: sa.true()),
    )
    for name, reason, condition in queries:
        table = warehouse_table(response_table(name))
        address = sa.func.lower(sa.func.trim(table.c.user_id))
        query = sa.select(address, sa.func.max(table.c.created)).where(condition(table)).group_by(address)
        with warehouse.begin() as connection:
            if not sa.inspect(connection).has_table(table.name, schema=table.schema):
                continue
            rows = connection.execute(query).all()
        yield from (Suppression(a, reason, CLOSED_LOOP, _utc(at)) for a, at in rows if a)


def rest_suppressions(rest: CampaignRestResource, bounce_addresses: Iterable[str]) -> Iterator[Suppression]:
    """All unsubscribes, and the hard bounces of `bounce_addresses`: `GET /responses` needs a mailing
    or recipient ids, and the recipients the refresh could add are the CRM's addresses."""
    with rest.client() as client:
        for unsubscribe in client.unsubscribes():
            yield Suppression(normalised(unsubscribe.recipient_id), UNSUBSCRIBED, REST, _utc(unsubscribe.created))
        for bounce in client.bounces("hardbounce", recipient_ids=bounce_addresses):
            yield Suppression(normalised(bounce.recipient_id), HARD_BOUNCE, REST, _utc(bounce.created))


def blocklist_suppressions(soap: CampaignSoapResource) -> Iterator[Suppression]:
    """Every RpcBlacklist entry, addresses and patterns alike (the service reports no dates)."""
    with soap.client() as client:
        entries = client.blocklist.entries()
    yield from (Suppression(normalised(entry), BLOCKLISTED, SOAP_BLOCKLIST) for entry in entries if entry.strip())
