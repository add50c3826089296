"""One pass over one recipient list: read every page, keep what the pass needs, write it at once.

Campaign has no "modified since" filter, so even an incremental pass reads the whole list; it keeps
only recipients created or modified at or after the watermark. A full pass keeps everyone and marks
the list's rows it did not see as deleted. Nothing is written until the last page is read: the rows,
the deletion marks and the new watermark commit in one transaction, under the list's lock, or not at
all. Offset paging over a list that changes while it is read can skip a recipient: a full pass asks
about the ones it missed before marking them (`recipient_merge.py`); a change an incremental pass
skipped this way is written by the next full pass at the latest.

The kept rows wait in memory as Arrow batches, next to the set of ids seen: with three short
attributes about 140 bytes of Arrow plus 270 of Python a recipient, so a full pass of a million
recipients holds some 400 MB.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import pyarrow as pa
import sqlalchemy as sa

from ...campaign.rest import CampaignRestClient, Recipient
from ...campaign.rest.recipients import chunked
from ...warehouse import WarehouseResource
from .import_state import ListState, next_watermark, record_pass
from .recipient_merge import MergeCounts, merge_list
from .recipient_rows import EMAIL_FIELD, last_active, recipient_batch

BATCH_ROWS = 10_000


@dataclass(frozen=True)
class PassPlan:
    list_id: int
    fields: dict[str, str]
    """chosen Campaign field -> its column"""
    list_has_email_field: bool
    state: ListState | None
    full_reason: str | None
    """why this pass reads everything (None: incremental)"""


@dataclass(frozen=True)
class ListOutcome:
    plan: PassPlan
    read: int
    kept: int
    counts: MergeCounts
    watermark: dt.datetime | None

    @property
    def kind(self) -> str:
        return "full" if self.plan.full_reason else "incremental"


@dataclass
class _Kept:
    since: dt.datetime | None
    batches: list[pa.RecordBatch]
    seen: set[str]
    read: int = 0
    kept: int = 0
    newest: dt.datetime | None = None

    def wanted(self, recipients: list[Recipient]) -> list[Recipient]:
        """Recipients of this pass, each once (offset paging over a changing list can repeat one)."""
        chosen = []
        for recipient in recipients:
            active = last_active(recipient)
            if active is not None and (self.newest is None or active > self.newest):
                self.newest = active
            if recipient.id in self.seen or (self.since and active and active < self.since):
                continue
            self.seen.add(recipient.id)
            chosen.append(recipient)
        self.read += len(recipients)
        self.kept += len(chosen)
        return chosen


def _requested_fields(plan: PassPlan) -> list[str]:
    fields = list(plan.fields)
    if plan.list_has_email_field and EMAIL_FIELD not in fields:
        fields.append(EMAIL_FIELD)
    return fields


def _still_listed(rest: CampaignRestClient, list_id: int, recipient_ids: list[str]) -> set[str]:
    """The ids Campaign still has in the list, asked one by one (only for the few a full pass missed)."""
    return {rid for rid in recipient_ids if rest.get_recipient(list_id, rid) is not None}


def run_pass(rest: CampaignRestClient, warehouse: WarehouseResource, table: sa.Table, plan: PassPlan) -> ListOutcome:
    started = dt.datetime.now(dt.timezone.utc)
    full = plan.full_reason is not None
    kept = _Kept(since=None if full or plan.state is None else plan.state.watermark, batches=[], seen=set())
    attribute_columns = [c.name for c in table.columns if c.name.startswith("attr_")]
    for page in chunked(rest.recipients(plan.list_id, _requested_fields(plan)), BATCH_ROWS):
        chosen = kept.wanted(page)
        if chosen:
            kept.batches.append(recipient_batch(plan.list_id, chosen, plan.fields, attribute_columns, started))

    previous = plan.state.watermark if plan.state else None
    watermark = next_watermark(previous, kept.newest, started)
    state = ListState(
        watermark=watermark,
        last_full_pass_at=started if full else plan.state.last_full_pass_at,
        attributes=tuple(sorted(plan.fields)),
    )
    with warehouse.exclusive_partition(table, plan.list_id) as connection:  # the list's lock, one transaction
        still_listed = functools.partial(_still_listed, rest, plan.list_id) if full else None
        counts = merge_list(connection, table, plan.list_id, kept.batches, still_listed=still_listed, stamp=started)
        record_pass(connection, plan.list_id, state, dt.datetime.now(dt.timezone.utc))
    return ListOutcome(plan, kept.read, kept.kept, counts, watermark)
