"""Send one batch of plan rows (all of one action) to the recipient list; per-row outcomes.

- add: bulk add; ids it refuses are in the list already (updated with bulk modify, not ours) or
  refused by Campaign (suppressed, invalid): one single add each then fetches Campaign's reason.
  A bulk add resent after a lost answer cannot tell our adds from existing recipients: its refused
  ids are then counted as not ours, so they are never removed by a mirror exit.
- update: bulk modify ("set", resent safely); a recipient gone from the list is added again.
- clear_membership: bulk modify of the membership field to ''; a recipient gone needs nothing.
- remove: bulk delete by id (ids no longer in the list are ignored by Campaign).
- forget: nothing is sent.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

from ...campaign.errors import CampaignHttpError
from ...campaign.rest import CampaignRestClient
from ...campaign.rest.models import RecipientData


@functools.lru_cache(maxsize=4096)
def parsed_payload(payload_text: str | None) -> Mapping[str, str | None]:
    """Parsed once per distinct text (a backfill's rows mostly share a few); read-only, as it is shared."""
    return MappingProxyType(json.loads(payload_text) if payload_text else {})


class PlannedRow(NamedTuple):
    """A plan row (a tuple: a page holds 20,000 of them and a frozen dataclass costs three times as much)."""
    recipient_id: str
    email: str
    action: str
    payload_text: str | None
    """The plan's JSON text, stored as sent so that later plans compare like with like."""

    @property
    def payload(self) -> Mapping[str, str | None]:
        return parsed_payload(self.payload_text)


class RowOutcome(NamedTuple):
    """One row's outcome (a tuple, like `PlannedRow`: a frozen dataclass costs twice as much per row)."""
    recipient_id: str
    ok: bool
    added_by_us: bool | None = None
    """True: this batch added the recipient; False: it was in the list already; None: not an add."""
    reason: str | None = None


def _data(row: PlannedRow) -> RecipientData:
    return RecipientData(row.recipient_id, dict(row.payload), address=row.email)


def _reason(client: CampaignRestClient, list_id: int, row: PlannedRow) -> RowOutcome:
    """Campaign's own words for a refused row: a single add answers 409 with them (or adds it after all)."""
    try:
        client.add_recipient(list_id, _data(row))
    except CampaignHttpError as error:
        return RowOutcome(row.recipient_id, False, reason=error.message or str(error))
    return RowOutcome(row.recipient_id, True, added_by_us=True)


def _bulk_modify(client: CampaignRestClient, list_id: int, rows: Sequence[PlannedRow]) -> set[str]:
    """Bulk modify "set" of the rows' payloads, handed over as the plan's texts; the ids not in the list."""
    ids, _, _, texts = zip(*rows)
    return set(client.modify_recipients_encoded(list_id, ids, texts).failed_ids)


def _add(client: CampaignRestClient, list_id: int, rows: Sequence[PlannedRow]) -> list[RowOutcome]:
    ids, emails, _, texts = zip(*rows)
    refused = set(client.add_recipients_encoded(list_id, ids, texts, emails).failed_ids)
    if not refused:  # a backfill's usual batch: every row added
        return [RowOutcome(i, True, True) for i in ids]
    outcomes = [RowOutcome(r.recipient_id, True, added_by_us=True) for r in rows if r.recipient_id not in refused]
    existing = [r for r in rows if r.recipient_id in refused]
    if existing:
        not_in_list = _bulk_modify(client, list_id, existing)
        outcomes += [RowOutcome(r.recipient_id, True, added_by_us=False)
                     for r in existing if r.recipient_id not in not_in_list]
        outcomes += [_reason(client, list_id, r) for r in existing if r.recipient_id in not_in_list]
    return outcomes


def _update(client: CampaignRestClient, list_id: int, rows: Sequence[PlannedRow]) -> list[RowOutcome]:
    gone = _bulk_modify(client, list_id, rows)
    outcomes = [RowOutcome(r.recipient_id, True) for r in rows if r.recipient_id not in gone]
    if gone:
        outcomes += _add(client, list_id, [r for r in rows if r.recipient_id in gone])
    return outcomes


def _clear(client: CampaignRestClient, list_id: int, rows: Sequence[PlannedRow]) -> list[RowOutcome]:
    _bulk_modify(client, list_id, rows)
    return [RowOutcome(r.recipient_id, True) for r in rows]


def _remove(client: CampaignRestClient, list_id: int, rows: Sequence[PlannedRow]) -> list[RowOutcome]:
    client.delete_recipients(list_id, [r.recipient_id for r in rows])
    return [RowOutcome(r.recipient_id, True) for r in rows]


SENDERS = {"add": _add, "update": _update, "clear_membership": _clear, "remove": _remove,
           "forget": lambda client, list_id, rows: [RowOutcome(r.recipient_id, True) for r in rows]}


def send_batch(client: CampaignRestClient, list_id: int, rows: Sequence[PlannedRow]) -> list[RowOutcome]:
    """One outcome per row. An error that concerns the whole batch (list gone, Campaign unreachable after
    retries) propagates: the batch stays in flight and the next apply checks it."""
    return SENDERS[rows[0].action](client, list_id, rows)


def landed(client: CampaignRestClient, list_id: int, row: PlannedRow) -> bool:
    """Did a row sent before a crash take effect? Checked instead of sending it a second time."""
    fields = list(row.payload)
    found = client.get_recipient(list_id, row.recipient_id, fields or None)
    if row.action == "remove":
        return found is None
    if row.action == "forget":
        return True
    if found is None:
        return row.action == "clear_membership"
    return all((found.attributes.get(name) or "") == (value or "") for name, value in row.payload.items())

