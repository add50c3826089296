"""Campaign REST client paging on a MockTransport: next links, offsets, the client-side watermark."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from episerver_assets.campaign.errors import CampaignError

from .campaign_rest_support import make_client, paged, recipient_json


def test_paging_follows_next_links_and_returns_typed_recipients():
    items = [recipient_json(i) for i in range(25)]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return paged(request, items)

    client, _ = make_client(handler, page_size=10)
    recipients = list(client.recipients(7, ["email", "firstname"]))
    assert [r.id for r in recipients] == [f"r{i}@example.com" for i in range(25)]
    assert recipients[3].attributes == {"email": "r3@example.com", "firstname": "F3"}
    assert recipients[0].modified == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert [r.url.params.get("offset") for r in seen] == ["0", "10", "20"]
    assert all(r.url.params["attributeNames"] == "email,firstname" for r in seen)
    assert seen[0].url.path == "/rest/1000/recipients/7"


def test_paging_falls_back_to_offset_when_body_has_no_links():
    items = [recipient_json(i) for i in range(20)]
    client, _ = make_client(lambda request: paged(request, items, with_links=False), page_size=10)
    assert len(list(client.recipients(7))) == 20


def test_next_link_to_another_host_is_refused_so_credentials_stay_home():
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"elements": [recipient_json(1)], "links": [{"rel": "next", "href": "http://evil.test/rest/1000/x"}]}
        return httpx.Response(200, json=body)

    client, _ = make_client(handler)
    with pytest.raises(CampaignError, match="leaves the API"):
        list(client.recipients(7))


def test_recipients_modified_since_uses_a_client_side_watermark():
    items = [recipient_json(1, "2024-05-01T10:00:00.000+00:00"), recipient_json(2, "2024-05-02T10:00:00.000+00:00"),
             recipient_json(3, "2024-05-03T10:00:00.000+00:00")]
    client, _ = make_client(lambda request: paged(request, items))
    everything, mark = client.recipients_modified_since(7, None)
    assert len(everything) == 3 and mark == datetime(2024, 5, 3, 10, tzinfo=UTC)
    since, mark2 = client.recipients_modified_since(7, datetime(2024, 5, 2, 10, tzinfo=UTC))
    assert [r.id for r in since] == ["r2@example.com", "r3@example.com"] and mark2 == mark
