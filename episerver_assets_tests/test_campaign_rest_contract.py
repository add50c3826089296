"""Every request the Campaign REST client sends validates against the vendor OpenAPI document.

The document is checked with openapi-core (`openapi_contract.py`).
"""

from __future__ import annotations

import httpx
import pytest

from episerver_assets.campaign.rest import RecipientData, WebhookAuthentication

from .campaign_rest_support import make_client, recipient_json
from .openapi_contract import load_spec, validate_request


def test_every_request_the_client_sends_validates_against_the_openapi_spec():
    """Exercise each operation against canned answers and validate every request it sent."""
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        path, method = request.url.path, request.method
        if method == "GET" and path.endswith("/webhooks"):
            return httpx.Response(200, json=[])
        if method == "POST" and path.endswith("/webhooks"):
            return httpx.Response(201, json={"id": 1, "type": "open", "targetUrl": "https://h.test"})
        if "/webhooks/" in path and path.endswith("/verify"):
            return httpx.Response(200, json=[])
        if "/webhooks/" in path:
            return httpx.Response(204) if method == "DELETE" else httpx.Response(
                200, json={"id": 1, "type": "open", "targetUrl": "https://h.test"})
        if method == "GET" and path.endswith("/count"):
            return httpx.Response(200, json={"count": 1})
        if method == "GET" and path.endswith("/attributeNames"):
            return httpx.Response(200, json={"attributeNames": ["email"]})
        if method == "GET" and path.endswith("/authenticated"):
            return httpx.Response(200, json={"id": 1, "username": "u"})
        if method == "GET" and path.endswith("/recipientlists/7"):
            return httpx.Response(200, json={"id": 7})
        if method == "GET" and "/blacklistentries/" in path:
            assert request.url.raw_path.endswith(b"/blacklistentries/%2A%40x.test")
            return httpx.Response(200, json={"pattern": "*@x.test"})
        if method == "GET" and path.count("/") == 5 and "/recipients/" in path:
            return httpx.Response(200, json=recipient_json(1))
        if method == "GET":
            return httpx.Response(200, json={"elements": [], "links": []})
        if method == "DELETE":
            return httpx.Response(204)
        if method == "PUT":
            return httpx.Response(200, json={"count": 1, "failedIds": []})
        if path.endswith("/blacklistentries"):
            return httpx.Response(201, json={"pattern": "*@x.test"})
        if path.endswith("/unsubscribes"):
            return httpx.Response(200, json={"successfulIds": [], "unsuccessfulIds": []})
        return httpx.Response(201, json=recipient_json(1))

    client, _ = make_client(handler)
    data = RecipientData("a@example.com", {"firstname": "A", "score": 3}, address="a@example.com")
    client.check()
    client.recipient_lists()
    client.recipient_list(7)
    client.list_fields(7)
    client.attribute_names(7)
    list(client.recipients(7, ["email", "firstname"]))
    client.count_recipients(7)
    client.get_recipient(7, "a+b@example.com", ["email"])
    client.add_recipient(7, data, optin_process_id=2)
    client.update_recipient(7, data, mode="append")
    client.add_recipients(7, [data], optin_process_id=2)
    client.modify_recipients(7, [data])
    client.delete_recipient(7, "a@example.com")
    client.delete_recipients(7, ["a@example.com", "b@example.com"])
    client.delete_all_recipients(7, confirm=True)
    list(client.unsubscribes(recipient_list_id=7))
    client.add_unsubscribes(["a@example.com", "b@example.com"], recipient_list_id=7)
    list(client.blocklist())
    client.get_blocklist_entry("*@x.test")
    client.add_blocklist_entry("*@x.test", "test")
    list(client.bounces("softbounce", mailing_id=3))
    hook = client.create_webhook("click", "https://h.test", WebhookAuthentication.header("X-Key", "k"))
    client.update_webhook(hook.id, "click", "https://h.test/2")
    client.activate_webhook(hook.id)
    client.deactivate_webhook(hook.id)
    client.verify_webhook(hook.id, mailing_id=3, number_of_events=2)
    client.delete_webhook(hook.id)

    spec = load_spec()
    operations = {validate_request(spec, request) for request in requests}
    assert len(requests) >= 28 and len(operations) == 27, sorted(operations)
    # The validator does reject what the contract forbids.
    bad = httpx.Request("GET", client._session.url("responses"), params={"category": "bogus"},
                        headers={"Authorization": "Basic eDp5"})
    with pytest.raises(Exception, match="category|bogus|enum"):
        validate_request(spec, bad)
