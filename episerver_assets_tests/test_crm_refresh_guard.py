"""The refresh refuses to clear a list for an empty or shrunken selection; `confirm: true` overrides."""

from __future__ import annotations

import pytest

from episerver_assets.defs.crm_refresh.guard import refusal
from episerver_assets.defs.crm_refresh.tables import refresh_runs
from episerver_assets.warehouse import WarehouseResource

from .crm_refresh_support import (
    add_technical_fields, contact, failure_of, list_members, metadata_of, refresh, table_rows, write_contacts,
)


def contacts_of(count: int) -> list[dict]:
    return [contact(f"C{i}", f"person{i}@example.com") for i in range(count)]


def test_an_empty_selection_is_refused_until_confirmed(sandbox, sandbox_env, warehouse_url):
    write_contacts(WarehouseResource(url=warehouse_url), [contact("C1", "other@example.com", optin_id=88)])
    add_technical_fields(sandbox)
    before = list_members(sandbox)

    refused = refresh(warehouse_url, optin_id=77)

    assert not refused.success
    assert "refused to clear the list: the new selection is empty" in failure_of(refused)
    [check] = refused.get_asset_check_evaluations()
    assert (check.check_name, check.passed, check.description) == (
        "safe_to_clear", False, "refused: the new selection is empty")
    assert list_members(sandbox) == before and before
    assert table_rows(warehouse_url, refresh_runs) == []

    confirmed = refresh(warehouse_url, optin_id=77, confirm=True)

    assert confirmed.success, failure_of(confirmed)
    assert list_members(sandbox) == set()
    assert metadata_of(confirmed)["confirmed"] is True
    [check] = confirmed.get_asset_check_evaluations()
    assert check.passed and check.description == "confirmed despite: the new selection is empty"


def test_a_shrink_beyond_the_limit_is_refused_until_confirmed(sandbox, sandbox_env, warehouse_url):
    warehouse = WarehouseResource(url=warehouse_url)
    add_technical_fields(sandbox)
    write_contacts(warehouse, contacts_of(10))
    assert refresh(warehouse_url, optin_id=77).success
    write_contacts(warehouse, contacts_of(7))

    refused = refresh(warehouse_url, optin_id=77)

    assert not refused.success
    assert "7 recipients is 30% smaller than the last successful refresh (10); the limit is 20%" in failure_of(refused)
    assert len(list_members(sandbox)) == 10
    assert refresh(warehouse_url, optin_id=77, max_shrink=0.5).success  # a wider limit lets it through
    write_contacts(warehouse, contacts_of(3))
    assert not refresh(warehouse_url, optin_id=77).success  # compared against 7 now: 57% smaller

    confirmed = refresh(warehouse_url, optin_id=77, confirm=True)

    assert confirmed.success, failure_of(confirmed)
    assert list_members(sandbox) == {f"person{i}@example.com" for i in range(3)}
    assert metadata_of(confirmed)["last_successful"] == 7
    assert [r["selected"] for r in sorted(table_rows(warehouse_url, refresh_runs), key=lambda r: r["finished_at"])] \
        == [10, 7, 3]


@pytest.mark.parametrize(("selected", "previous", "refused"), [
    (0, None, True), (0, 5, True), (1, None, False), (80, 100, False), (79, 100, True), (120, 100, False),
])
def test_refusal_threshold(selected, previous, refused):
    assert (refusal(selected, previous, 0.2) is not None) is refused
