"""A CRM value XML 1.0 cannot carry (a control character) stops the refresh before `clear`, naming the row,
the column and the CRM entity, never the address."""

from __future__ import annotations

from episerver_assets.warehouse import WarehouseResource

from .crm_refresh_support import add_technical_fields, contact, failure_of, list_members, refresh, write_contacts


def test_a_control_character_is_refused_before_the_list_is_cleared(sandbox, sandbox_env, warehouse_url):
    bad = {**contact("C2", "Bell@Example.com"), "first_name": "Ann\x07"}
    write_contacts(WarehouseResource(url=warehouse_url), [contact("C1", "ok@example.com"), bad])
    add_technical_fields(sandbox)
    before = list_members(sandbox)
    assert len(before) > 0

    result = refresh(warehouse_url, optin_id=77)

    assert not result.success
    message = failure_of(result)
    assert "was not cleared: row 2 (recipient '***'): firstname contains U+0007" in message
    assert message.rstrip().endswith("(CRM contact C2)") and "@" not in message
    assert list_members(sandbox) == before
