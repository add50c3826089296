"""The CRM recipients of one opt-in, without suppressed addresses, as addAll3 records.

The recipient id is the address trimmed and lower-cased (Campaign's lists are keyed by address); when
several entities share an address the first by entity type (contact, lead, account) and id is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
import sqlalchemy as sa

from ...campaign.soap import RecipientRecord
from ...warehouse import WarehouseResource
from ..crm.contacts import ENTITY_TYPES, contacts
from .config import RecipientListRefreshConfig
from .matching import SuppressionMatcher


@dataclass(frozen=True)
class Selection:
    optin_id: int
    records: list[RecipientRecord]
    entities: dict[str, tuple[str, str]]
    """(entity type, entity id) by recipient id, for the results table."""
    suppressed: int
    duplicates: int


def _query(config: RecipientListRefreshConfig) -> sa.Select:
    columns = sorted({"entity_type", "entity_id", "email", "optin_id", *config.fields})
    unknown = [c for c in columns if c not in contacts.c]
    if unknown:
        raise dg.Failure(f"fields name columns crm.contacts does not have: {', '.join(unknown)}")
    rank = sa.case({t: i for i, t in enumerate(ENTITY_TYPES)}, value=contacts.c.entity_type, else_=len(ENTITY_TYPES))
    query = (sa.select(*(contacts.c[c] for c in columns))
             .where(contacts.c.entity_type.in_(config.entity_types), contacts.c.optin_id.is_not(None),
                    sa.func.trim(sa.func.coalesce(contacts.c.email, "")) != "")
             .order_by(rank, contacts.c.entity_id))
    if config.optin_id is not None:
        query = query.where(contacts.c.optin_id == config.optin_id)
    return query


def _single_optin(optin_ids: set[int], config: RecipientListRefreshConfig) -> int:
    """Seed 003: never mix opt-ins. An empty selection keeps the configured one (the guard decides)."""
    if len(optin_ids) > 1:
        raise dg.Failure(
            f"the selection holds {len(optin_ids)} opt-ins ({', '.join(map(str, sorted(optin_ids)))}); "
            "a recipient list is filled from exactly one: set optin_id or narrow entity_types")
    if optin_ids:
        return next(iter(optin_ids))
    if config.optin_id is None:
        raise dg.Failure("the selection is empty and no optin_id is configured")
    return config.optin_id


def select_recipients(warehouse: WarehouseResource, config: RecipientListRefreshConfig,
                      suppressed: SuppressionMatcher) -> Selection:
    with warehouse.begin() as connection:
        rows = [dict(r._mapping) for r in connection.execute(_query(config))]
    optin_id = _single_optin({int(r["optin_id"]) for r in rows}, config)
    records: dict[str, RecipientRecord] = {}
    entities: dict[str, tuple[str, str]] = {}
    excluded = duplicates = 0
    for row in rows:
        address = row["email"].strip().lower()
        if address in suppressed:
            excluded += 1
        elif address in records:
            duplicates += 1
        else:
            attributes = {field: row[column] for column, field in config.fields.items()}
            records[address] = RecipientRecord(address, row["email"].strip(), attributes)
            entities[address] = (row["entity_type"], row["entity_id"])
    return Selection(optin_id, list(records.values()), entities, excluded, duplicates)
