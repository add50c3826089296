"""`crm_refresh/suppressions` against the sandbox on both engines: closed-loop tables, REST and the
SOAP blocklist into one table, and the case-insensitive matcher over it, patterns included."""

from __future__ import annotations

from episerver_assets.defs.crm_refresh.matching import SuppressionMatcher
from episerver_assets.defs.crm_refresh.suppressions_asset import crm_suppressions, load_matcher
from episerver_assets.defs.crm_refresh.tables import suppressions
from episerver_assets.warehouse import WarehouseResource

from .crm_refresh_support import CLIENT, contact, materialize, metadata_of, table_rows, write_closed_loop, write_contacts


def test_suppressions_from_all_three_sources(sandbox, sandbox_env, warehouse_url):
    warehouse = WarehouseResource(url=warehouse_url)
    write_contacts(warehouse, [contact("C1", "Rest.Bounce@Example.com"), contact("C2", "kept@example.com")])
    write_closed_loop(warehouse, {"Loop.Hard@Example.com": "fatal_bounce", "loop.soft@example.com": "bounce"},
                      ["Loop.Unsub@Example.com"])
    campaign = sandbox.state.client(CLIENT)
    campaign.unsubscribe("Rest.Unsub@Example.com")
    campaign.record_bounce("rest.bounce@example.com", "hardbounce")
    campaign.record_bounce("kept@example.com", "softbounce")
    campaign.add_blocklist_entry("*@Blocked.ORG", "competitor")
    campaign.add_blocklist_entry("exact@block.de")

    result = materialize([crm_suppressions], warehouse_url)

    assert result.success
    rows = {(r["address"], r["reason"], r["source"]): r for r in table_rows(warehouse_url, suppressions)}
    expected = {
        ("loop.hard@example.com", "hard_bounce", "closed_loop"),
        ("loop.unsub@example.com", "unsubscribed", "closed_loop"),
        ("rest.unsub@example.com", "unsubscribed", "rest"),
        ("rest.bounce@example.com", "hard_bounce", "rest"),
        ("*@blocked.org", "blocklisted", "soap_blocklist"),
        ("exact@block.de", "blocklisted", "soap_blocklist"),
    }
    assert expected <= set(rows)
    assert not {key for key in rows if key[0] in ("loop.soft@example.com", "kept@example.com")}
    assert rows[("*@blocked.org", "blocklisted", "soap_blocklist")]["is_pattern"] is True
    assert rows[("exact@block.de", "blocklisted", "soap_blocklist")]["is_pattern"] is False
    assert rows[("loop.hard@example.com", "hard_bounce", "closed_loop")]["suppressed_at"] is not None
    metadata = metadata_of(result)
    assert metadata["dagster/row_count"] == len(rows)
    assert metadata["patterns"] == 1
    assert not any("@" in str(value) for value in metadata.values())


def test_stored_blocklist_patterns_match_without_case(sandbox, sandbox_env, warehouse_url):
    warehouse = WarehouseResource(url=warehouse_url)
    write_contacts(warehouse, [])
    campaign = sandbox.state.client(CLIENT)
    campaign.add_blocklist_entry("*@Blocked.ORG")
    campaign.add_blocklist_entry("a?@Third.net")
    campaign.unsubscribe("Gone@Example.com")
    assert materialize([crm_suppressions], warehouse_url).success

    matcher = load_matcher(warehouse)

    for address in ("anyone@blocked.org", "ANYONE@BLOCKED.ORG", " Ab@third.NET ", "gone@EXAMPLE.com"):
        assert address in matcher, address
    for address in ("anyone@blocked.org.uk", "abc@third.net", "a@third.net", "kept@example.com"):
        assert address not in matcher, address


def test_matcher_takes_wildcards_literally_when_escaped():
    matcher = SuppressionMatcher(["x@y.de"], [r"vip\*@shop.de", "a.b@*.com"])

    assert "VIP*@shop.de" in matcher
    assert "vipx@shop.de" not in matcher
    assert "a.b@any.com" in matcher
    assert "axb@any.com" not in matcher  # the dot is literal, not a regex wildcard
    assert None not in matcher
