"""Empty recipient lists the outbound features write into: audience exports and the CRM full refresh.

They sit at the top of the client's list-id range (ids.list_id with the last indexes), so generated
lists never reach them, and they have no source mailing: nothing in the response files sends to them.
"""

from __future__ import annotations

from .. import state as sandbox_state
from . import ids
from .scales import MAX_LISTS

EXPORT_FIELDS = ("email", "firstname", "lastname", "audiences", "lastclick", "crm_recipient_id")
CRM_REFRESH_FIELDS = ("email", "salutation", "firstname", "lastname",
                      "opt-in-id", "description", "media-type", "entity-type", "entity-id")
"""Seed 003's technical fields (opt-in id, description, media type, entity type, entity id) included."""

ACTIVATION_LISTS = {  # list index -> (name, description, fields)
    MAX_LISTS - 1: ("CRM Vollabgleich", "CRM full refresh target (seed 003)", CRM_REFRESH_FIELDS),
    MAX_LISTS - 2: ("Audience export: engaged", "Audience export target with a membership field", EXPORT_FIELDS),
    MAX_LISTS - 3: ("Audience export: leads", "Audience export target (mirror)", EXPORT_FIELDS),
}


def activation_list_ids(client_id: int) -> set[int]:
    return {ids.list_id(client_id, index) for index in ACTIVATION_LISTS}


def add_activation_lists(client: sandbox_state.ClientState) -> None:
    """Create the lists (empty) in `client`; call with the client's lock held."""
    for index, (name, description, fields) in ACTIVATION_LISTS.items():
        list_id = ids.list_id(client.account.client_id, index)
        client.lists[list_id] = sandbox_state.RecipientList(
            list_id, name, description,
            [sandbox_state.ListField(field, required=field == "email") for field in fields])
