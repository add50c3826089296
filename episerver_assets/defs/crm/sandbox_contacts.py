"""A CRM extract for the sandbox demo, consistent with the sandbox's generated recipients.

Every sandbox recipient is a CRM entity with the same address and names (from the sandbox generator,
a pure function of seed and index): about 70 % contacts, 20 % leads, 10 % accounts, the address
upper-cased for one in five so that the lower-cased join is exercised. Recipient `i` was collected
under the opt-in of its list `i % lists`. One lead in twenty more exists only in the CRM (never sent
to Campaign, no opt-in): audiences over CRM fields find people the recipient lists do not hold yet.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ...sandbox.generator import names
from ...sandbox.generator.scales import resolve_sizes
from ...warehouse import WarehouseResource
from ...warehouse.bulk_load import load_arrow
from .contacts import contacts

SANDBOX_OPTIN_BASE = 9_100_000
"""Opt-in process ids of the sandbox's lists: base + list index (the sandbox does not model opt-ins)."""
_BATCH = 50_000


def sandbox_optin_id(list_index: int) -> int:
    return SANDBOX_OPTIN_BASE + list_index


def _recipient_rows(seed: int, indices: np.ndarray, lists: int, now: dt.datetime) -> pa.Table:
    people = names.recipients(seed, indices)
    rng = np.random.default_rng([seed, int(indices[0])])
    kind = rng.random(len(indices))
    entity_type = np.where(kind < 0.7, "contact", np.where(kind < 0.9, "lead", "account"))
    prefix = np.where(kind < 0.7, "C", np.where(kind < 0.9, "L", "A"))
    list_index = indices % lists
    email = people["email"]
    shouting = pa.array(rng.random(len(indices)) < 0.2)
    modified_days = rng.integers(0, 365, len(indices))
    return pa.table({
        "entity_type": entity_type,
        "entity_id": np.char.add(prefix, np.char.zfill(indices.astype(str), 9)),
        "email": pc.if_else(shouting, pc.utf8_upper(email), email),
        "optin_id": (SANDBOX_OPTIN_BASE + list_index).astype(np.int64),
        "optin_description": np.char.add("Newsletter opt-in of sandbox list ", list_index.astype(str)),
        "media_type": np.full(len(indices), "EMAIL"),
        "salutation": people["salutation"],
        "first_name": people["firstname"],
        "last_name": people["lastname"],
        "company": people["company"],
        "city": people["city"],
        "zip": people["zip"],
        "created_at": pa.array([now - dt.timedelta(days=400)] * len(indices), pa.timestamp("us", tz="UTC")),
        "modified_at": pa.array([now - dt.timedelta(days=int(d)) for d in modified_days],
                                pa.timestamp("us", tz="UTC")),
    })


def _crm_only_leads(count: int, now: dt.datetime) -> pa.Table:
    numbers = np.arange(count)
    stamps = pa.array([now - dt.timedelta(days=30)] * count, pa.timestamp("us", tz="UTC"))
    empty = pa.array([None] * count, pa.string())
    return pa.table({
        "entity_type": np.full(count, "lead"),
        "entity_id": np.char.add("Q", np.char.zfill(numbers.astype(str), 9)),
        "email": np.char.add(np.char.add("prospect.", numbers.astype(str)), "@crm.example.com"),
        "optin_id": pa.array([None] * count, pa.int64()),
        "optin_description": empty, "media_type": np.full(count, "EMAIL"), "salutation": empty,
        "first_name": empty, "last_name": empty, "company": empty, "city": empty, "zip": empty,
        "created_at": stamps, "modified_at": stamps,
    })


def seed_crm_contacts(warehouse: WarehouseResource, seed: int = 7, scale: str = "small",
                      now: dt.datetime | None = None) -> int:
    """Replace `crm.contacts` with the CRM of a sandbox of this seed and scale (every client of the
    sandbox holds the same generated recipients); returns the row count."""
    now = now or dt.datetime.now(dt.UTC)
    sizes = resolve_sizes(scale)
    warehouse.ensure_table(contacts)
    with warehouse.begin() as connection:
        connection.execute(contacts.delete())
        rows = 0
        for start in range(0, sizes.recipients, _BATCH):
            indices = np.arange(start, min(start + _BATCH, sizes.recipients), dtype=np.int64)
            rows += load_arrow(connection, contacts, _recipient_rows(seed, indices, sizes.lists, now))
        rows += load_arrow(connection, contacts, _crm_only_leads(max(1, sizes.recipients // 20), now))
    return rows
