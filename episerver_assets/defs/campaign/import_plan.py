"""Decide each configured list's pass before reading any recipient, and refuse fields a list lacks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ...campaign.errors import CampaignConflict, CampaignNotFound
from ...campaign.rest import CampaignRestClient
from .import_state import ListState, needs_full_pass
from .list_pass import PassPlan
from .recipient_rows import EMAIL_FIELD
from .recipients_config import RecipientsConfig, RecipientsConfigError

FIELDS_NAMED = 12


def _fields_of(rest: CampaignRestClient, list_id: int, index: int, source: Path) -> set[str]:
    try:
        return {field.internal_name for field in rest.list_fields(list_id)}
    except (CampaignNotFound, CampaignConflict) as error:
        raise RecipientsConfigError(
            f"{source}: lists[{index}]: recipient list {list_id} cannot be read: {error}"
        ) from None


def plan_passes(
    rest: CampaignRestClient, config: RecipientsConfig, source: Path, states: dict[int, ListState],
    now: dt.datetime, force_full: bool = False,
) -> list[PassPlan]:
    """One plan per configured list; RecipientsConfigError if a chosen field is not in its list."""
    columns = config.columns()
    plans = []
    for index, selection in enumerate(config.lists):
        chosen = config.attributes_of(selection.id)
        present = _fields_of(rest, selection.id, index, source)
        unknown = [name for name in chosen if name not in present]
        if unknown:
            known = sorted(present)
            shown = ", ".join(known[:FIELDS_NAMED]) + (" ..." if len(known) > FIELDS_NAMED else "")
            raise RecipientsConfigError(
                f"{source}: lists[{index}]: recipient list {selection.id} has no field "
                f"{', '.join(repr(n) for n in unknown)} (its fields: {shown})"
            )
        state = states.get(selection.id)
        reason = needs_full_pass(state, chosen, config.full_pass_every_days, now)
        if reason is None and force_full:
            reason = "a full pass was asked for"
        plans.append(PassPlan(
            list_id=selection.id,
            fields={name: columns[name] for name in chosen},
            list_has_email_field=EMAIL_FIELD in present,
            state=state,
            full_reason=reason,
        ))
    return plans
