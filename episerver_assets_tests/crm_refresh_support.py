"""Helpers for the CRM refresh tests: a small CRM extract, closed-loop rows, and runs against the sandbox."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import sqlalchemy as sa

from episerver_assets.campaign.soap import CampaignSoapResource
from episerver_assets.defs.closed_loop.schemas.tables import response_table
from episerver_assets.defs.closed_loop.warehouse_tables import warehouse_table
from episerver_assets.defs.crm.contacts import contacts
from episerver_assets.warehouse import WarehouseResource

CLIENT = 1000
DAY = dt.date(2026, 11, 19)
STAMP = dt.datetime(2026, 11, 19, 8, 30)


def contact(entity_id: str, email: str, optin_id: int | None = 77, entity_type: str = "contact") -> dict:
    return {"entity_type": entity_type, "entity_id": entity_id, "email": email, "optin_id": optin_id,
            "optin_description": f"Newsletter {optin_id}", "media_type": "EMAIL", "first_name": f"F{entity_id}",
            "last_name": f"L{entity_id}"}


def write_contacts(warehouse: WarehouseResource, rows: list[dict]) -> None:
    warehouse.ensure_table(contacts)
    with warehouse.begin() as connection:
        connection.execute(contacts.delete())
        if rows:
            connection.execute(contacts.insert(), rows)


def write_closed_loop(warehouse: WarehouseResource, bounces: dict[str, str], unsubscribed: list[str]) -> None:
    """Response rows (address -> category) and unsubscribe rows of one response day."""
    responses, unsubscribes = (warehouse_table(response_table(n)) for n in ("responses", "unsubscribes"))
    warehouse.ensure_table(responses, unsubscribes)
    ids = {"mailing_id": 1, "mailing_to_user_id": 2, "mailing_group_id": 3, "created": STAMP, "partition_date": DAY}
    with warehouse.begin() as connection:
        if bounces:
            connection.execute(responses.insert(),
                               [{**ids, "user_id": a, "category": c} for a, c in bounces.items()])
        if unsubscribed:
            connection.execute(unsubscribes.insert(), [{**ids, "user_id": a} for a in unsubscribed])


def resources(warehouse_url: str) -> dict[str, object]:
    """Pointed at the sandbox through `sandbox_env`'s environment."""
    from episerver_assets.settings import load_settings
    from episerver_assets.resources import rest_resource

    settings = load_settings()
    return {"warehouse": WarehouseResource(url=warehouse_url), "rest": rest_resource(settings),
            "soap": CampaignSoapResource.from_settings(settings)}


def materialize(assets: list, warehouse_url: str, run_config: dict | None = None) -> dg.ExecuteInProcessResult:
    return dg.materialize(assets, resources=resources(warehouse_url), run_config=run_config or {},
                          raise_on_error=False)


def metadata_of(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    [event] = result.get_asset_materialization_events()
    return {key: value.value for key, value in event.materialization.metadata.items()}


def table_rows(warehouse_url: str, table: sa.Table) -> list[dict]:
    with WarehouseResource(url=warehouse_url).begin() as connection:
        return [dict(r._mapping) for r in connection.execute(sa.select(table))]


LIST_ID = 58001000000
"""The sandbox's first list of client 1000."""
REFRESH_OP = "crm_refresh__recipient_list_refresh"


def refresh(warehouse_url: str, **config: object) -> dg.ExecuteInProcessResult:
    from episerver_assets.defs.crm_refresh.refresh_asset import recipient_list_refresh

    run_config = {"ops": {REFRESH_OP: {"config": {"recipient_list_id": LIST_ID, **config}}}}
    return materialize([recipient_list_refresh], warehouse_url, run_config)


def failure_of(result: dg.ExecuteInProcessResult) -> str:
    [failure] = [e for e in result.all_events if e.is_step_failure]
    return failure.step_failure_data.error.message


def add_technical_fields(sandbox, list_id: int = LIST_ID) -> None:
    """The sandbox's generated lists lack the seed's technical fields; a real list has them."""
    from episerver_assets.defs.crm_refresh.config import TECHNICAL_FIELDS
    from episerver_assets.sandbox.state import ListField

    sandbox.state.client(CLIENT).lists[list_id].fields.extend(ListField(n) for n in TECHNICAL_FIELDS.values())


def list_members(sandbox, list_id: int = LIST_ID) -> set[str]:
    return set(sandbox.state.client(CLIENT).lists[list_id].recipients)
