"""Fill the sandbox state with the recipient lists and suppressions the response files assume.

Recipient `i` is in list `i % lists` (list ids from ids.py) with the attributes names.recipients
gives it. Recipients whose Fate is blocklisted, hard-bouncing or unsubscribing stay in their list
(they were added before it happened) and are also blocklisted, hard-bounced BOUNCE_THRESHOLD times,
or unsubscribed: every address the files show as could_not_be_sent, fatal_bounce or unsubscribing is
suppressed here too. Each list has a source mailing (ids.source_mailing_id) for closed-loop uploads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import state as sandbox_state
from . import ids, names
from .activation_lists import activation_list_ids, add_activation_lists
from .scales import MAX_LISTS, Sizes, resolve_sizes

_LIST_NAMES = ("Newsletter Deutschland", "Newsletter Schweiz", "Kunden Österreich", 'Händler; "Partner"')
_BATCH = 50_000


@dataclass(frozen=True)
class Population:
    """What `populate` created for one client."""

    client_id: int
    list_ids: tuple[int, ...]
    source_mailings: dict[int, int]  # broadmail_ID of a source mailing -> id of the list it sends to
    recipients: int
    blocklisted: int
    hard_bounced: int
    unsubscribed: int


def source_mailings(client: sandbox_state.ClientState) -> dict[int, int]:
    """Source mailing id (an upload's broadmail_ID) -> list id, for every generated list the client has."""
    client_id = client.account.client_id
    with client.lock:
        list_ids = set(client.lists) - activation_list_ids(client_id)
    return {
        ids.source_mailing_id(client_id, index): list_id
        for index in range(MAX_LISTS)
        if (list_id := ids.list_id(client_id, index)) in list_ids
    }


def _list_name(index: int) -> str:
    name = _LIST_NAMES[index % len(_LIST_NAMES)]
    return name if index < len(_LIST_NAMES) else f"{name} {index // len(_LIST_NAMES) + 1}"


def populate(
    target: sandbox_state.SandboxState | sandbox_state.ClientState, seed: int, scale: str | Sizes
) -> dict[int, Population]:
    """Create the generated lists, recipients and suppressions in every client of `target`.

    Call it once on a fresh state; it refuses lists that already exist. Each recipient is one
    `add_recipient` call, so keep this to scales up to `large`; `huge` is meant for files only.
    """
    clients = target.clients.values() if isinstance(target, sandbox_state.SandboxState) else [target]
    sizes = resolve_sizes(scale)
    return {client.account.client_id: _populate_client(client, seed, sizes) for client in clients}


def _populate_client(client: sandbox_state.ClientState, seed: int, sizes: Sizes) -> Population:
    client_id = client.account.client_id
    list_ids = tuple(ids.list_id(client_id, i) for i in range(sizes.lists))
    fields = [sandbox_state.ListField(name, required=name == "email") for name in names.RECIPIENT_FIELDS]
    with client.lock:
        existing = set(list_ids) & set(client.lists)
        if existing:
            raise ValueError(f"client {client_id} already has lists {sorted(existing)}")
        for index, list_id in enumerate(list_ids):
            client.lists[list_id] = sandbox_state.RecipientList(
                list_id, _list_name(index), f"Generated list {index} (seed {seed})", list(fields)
            )
        add_activation_lists(client)
    suppressed: list[tuple[str, int, int]] = []  # (address, list id, fate)
    for start in range(0, sizes.recipients, _BATCH):
        indices = np.arange(start, min(start + _BATCH, sizes.recipients), dtype=np.int64)
        people = names.recipients(seed, indices).to_pylist()
        for index, fate, attributes in zip(indices.tolist(), names.fates(seed, indices).tolist(), people):
            list_id = list_ids[index % sizes.lists]
            client.add_recipient(list_id, attributes["email"], attributes)
            if fate != names.Fate.NORMAL:
                suppressed.append((attributes["email"], list_id, fate))
    # Suppress only after every add: add_recipient refuses suppressed addresses.
    for address, list_id, fate in suppressed:
        if fate == names.Fate.BLOCKLISTED:
            client.add_blocklist_entry(address, reason="generated")
        elif fate == names.Fate.HARD_BOUNCING:
            for _ in range(sandbox_state.BOUNCE_THRESHOLD):
                client.record_bounce(address, "hardbounce", list_id=list_id)
        else:
            client.unsubscribe(address, list_id=list_id)
    counts = [sum(1 for *_, fate in suppressed if fate == wanted) for wanted in names.Fate]
    return Population(
        client_id=client_id,
        list_ids=list_ids,
        source_mailings=source_mailings(client),
        recipients=sizes.recipients,
        blocklisted=counts[names.Fate.BLOCKLISTED],
        hard_bounced=counts[names.Fate.HARD_BOUNCING],
        unsubscribed=counts[names.Fate.UNSUBSCRIBING],
    )
