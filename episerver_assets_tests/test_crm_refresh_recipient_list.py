"""`crm_refresh/recipient_list_refresh` against the sandbox on both engines: one opt-in, suppressed
addresses left out, clear + addAll3 with every return code counted and rejected rows recorded."""

from __future__ import annotations

from episerver_assets.defs.crm_refresh.suppressions_asset import crm_suppressions
from episerver_assets.defs.crm_refresh.tables import refresh_results
from episerver_assets.warehouse import WarehouseResource

from .crm_refresh_support import (
    CLIENT, add_technical_fields, contact, failure_of, list_members, materialize, metadata_of, refresh, table_rows, write_contacts,
)


def test_refresh_replaces_the_list_and_counts_every_code(sandbox, sandbox_env, warehouse_url):
    warehouse = WarehouseResource(url=warehouse_url)
    write_contacts(warehouse, [
        contact("C1", "Ok@Example.com"), contact("L1", "ok@example.com", entity_type="lead"),
        contact("C2", "not-an-address"), contact("C3", "late@blocked.de"), contact("C4", "Gone@Example.com"),
        contact("C5", "spam@shop.de"), contact("C6", "other.optin@example.com", optin_id=88),
    ])
    campaign = sandbox.state.client(CLIENT)
    campaign.unsubscribe("gone@example.com")
    campaign.add_blocklist_entry("*@SHOP.de")
    assert materialize([crm_suppressions], warehouse_url).success
    campaign.add_blocklist_entry("late@blocked.de")  # after the suppressions: Campaign rejects it (code 3)
    assert len(list_members(sandbox)) > 0
    add_technical_fields(sandbox)

    result = refresh(warehouse_url, optin_id=77)

    assert result.success, failure_of(result)
    assert list_members(sandbox) == {"ok@example.com"}
    added = campaign.lists[58001000000].recipients["ok@example.com"].attributes
    assert added["entity-type"] == "contact" and added["entity-id"] == "C1" and added["opt-in-id"] == "77"
    metadata = metadata_of(result)
    assert {k: v for k, v in metadata.items() if k.startswith("code/")} == {
        "code/0_added": 1, "code/1_invalid_address": 1, "code/2_unsubscribed": 0, "code/3_blocklisted": 1,
        "code/4_too_many_bounces": 0, "code/5_already_in_list": 0, "code/6_filtered": 0, "code/7_other_error": 0,
    }
    assert (metadata["selected"], metadata["excluded_suppressed"], metadata["duplicate_addresses"]) == (3, 2, 1)
    assert metadata["optin_id"] == 77 and metadata["dagster/row_count"] == 2
    assert not any("@" in str(value) for value in metadata.values())
    rows = sorted((r["entity_id"], r["code"], r["code_name"]) for r in table_rows(warehouse_url, refresh_results))
    assert rows == [("C2", 1, "INVALID_ADDRESS"), ("C3", 3, "BLOCKLISTED")]


def test_a_selection_of_two_optins_is_refused(sandbox, sandbox_env, warehouse_url):
    write_contacts(WarehouseResource(url=warehouse_url),
                   [contact("C1", "a@example.com", optin_id=77), contact("C2", "b@example.com", optin_id=88)])
    before = list_members(sandbox)

    result = refresh(warehouse_url)

    assert not result.success
    assert "2 opt-ins (77, 88)" in failure_of(result)
    assert list_members(sandbox) == before


def test_a_list_without_the_fields_is_not_cleared(sandbox, sandbox_env, warehouse_url):
    write_contacts(WarehouseResource(url=warehouse_url), [contact("C1", "a@example.com")])
    before = list_members(sandbox)

    result = refresh(warehouse_url, optin_id=77)

    assert not result.success
    assert "has no field description, entity-id, entity-type, media-type, opt-in-id" in failure_of(result)
    assert list_members(sandbox) == before and before
