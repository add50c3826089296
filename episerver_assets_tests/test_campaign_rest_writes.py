"""Campaign REST client writes on a MockTransport: upsert, bulk add, deletes, suppressions, webhooks."""

from __future__ import annotations

import json

import httpx
import pytest

from episerver_assets.campaign.errors import CampaignRefusedOperation
from episerver_assets.campaign.rest import RecipientData, UpsertOutcome, WebhookAuthentication

from .campaign_rest_support import T0, form, make_client, paged


def test_upsert_adds_updates_on_409_and_reports_rejections():
    existing = {"old@example.com"}
    blocked = {"blocked@example.com"}
    updates: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split("/")
        if request.method == "POST" and len(parts) == 5:  # /rest/1000/recipients/7: add
            rid = form(request)["recipientId"][0]
            if rid in existing or rid in blocked:
                return httpx.Response(409, json={"httpStatusCode": 409, "errorMessage": f"{rid} exists or blocked"})
            existing.add(rid)
            return httpx.Response(201, json={"id": rid, "created": T0, "modified": T0})
        if request.method == "POST":  # update
            rid = parts[-1]
            if rid not in existing:
                return httpx.Response(404, json={"httpStatusCode": 404, "errorMessage": "not in list"})
            updates.append(form(request))
            return httpx.Response(200, json={"id": rid, "created": T0, "modified": T0})
        raise AssertionError(request)

    client, _ = make_client(handler)
    new = client.upsert_recipient(7, RecipientData("new@example.com", {"firstname": "N"}))
    old = client.upsert_recipient(7, RecipientData("old@example.com", {"firstname": "O"}))
    rejected = client.upsert_recipient(7, RecipientData("blocked@example.com", {"firstname": "B"}))
    assert [new.outcome, old.outcome, rejected.outcome] == [UpsertOutcome.ADDED, UpsertOutcome.UPDATED,
                                                            UpsertOutcome.REJECTED]
    assert "blocked" in rejected.message
    assert updates == [{"data.firstname": ["O"], "mode": ["set"]}]


def test_bulk_add_sends_batches_of_1000_and_sums_results():
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        batch = json.loads(request.content)["recipients"]
        sizes.append(len(batch))
        failed = [r["id"] for r in batch if r["id"].startswith("dup")]
        return httpx.Response(200, json={"count": len(batch) - len(failed), "failedIds": failed})

    client, _ = make_client(handler)
    recipients = [RecipientData(f"{'dup' if i % 500 == 0 else 'r'}{i}@example.com", {"firstname": "x"})
                  for i in range(2500)]
    result = client.add_recipients(7, iter(recipients))
    assert sizes == [1000, 1000, 500]
    assert result.count == 2495 and len(result.failed_ids) == 5 and not result.uncertain


def test_delete_by_ids_and_refusal_to_delete_a_whole_list_unconfirmed():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    client, _ = make_client(handler)
    assert client.delete_recipients(7, []) == 0
    assert seen == []
    with pytest.raises(CampaignRefusedOperation):
        client.delete_all_recipients(7)
    with pytest.raises(CampaignRefusedOperation):
        client.delete_all_recipients(7, confirm="yes")  # type: ignore[arg-type]
    assert seen == []
    assert client.delete_recipients(7, (f"r{i}@example.com" for i in range(150))) == 150
    assert [len(r.url.params["recipientIds"].split(",")) for r in seen] == [100, 50]
    seen.clear()
    client.delete_all_recipients(7, confirm=True)
    assert len(seen) == 1 and seen[0].method == "DELETE" and not seen[0].url.params


def test_suppressions_and_bounces():
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/unsubscribes") and request.method == "POST":
            ids = form(request)["recipientIds"]
            return httpx.Response(200, json={"successfulIds": ids, "unsuccessfulIds": []})
        if path.endswith("/unsubscribes"):
            return paged(request, [{"recipientId": "u@example.com", "reason": "api", "created": T0}])
        if path.endswith("/blacklistentries") and request.method == "POST":
            return httpx.Response(201, json={"pattern": form(request)["entry"][0], "created": T0})
        if path.endswith("/blacklistentries"):
            return paged(request, [{"pattern": "*@spam.test", "reason": "spam"}])
        if path.endswith("/responses"):
            assert request.url.params["category"] == "hardbounce" and request.url.params["mailingId"] == "3"
            return paged(request, [{"recipientId": "b@example.com", "category": "hardbounce", "mailingId": 3}])
        raise AssertionError(request)

    client, _ = make_client(handler)
    assert [u.recipient_id for u in client.unsubscribes()] == ["u@example.com"]
    assert client.add_unsubscribes(["a@example.com", "b@example.com"]).successful_ids == ("a@example.com", "b@example.com")
    assert [e.pattern for e in client.blocklist()] == ["*@spam.test"]
    assert client.add_blocklist_entry("*@bad.test", "test").pattern == "*@bad.test"
    bounce = next(client.bounces("hardbounce", mailing_id=3))
    assert (bounce.recipient_id, bounce.mailing_id) == ("b@example.com", 3)
    with pytest.raises(ValueError):
        list(client.bounces("autoresponder", mailing_id=3))
    with pytest.raises(ValueError, match="mailing_id or recipient_ids"):
        list(client.bounces("hardbounce"))


def test_webhooks_lifecycle_keeps_secrets_out_of_records():
    hooks: dict[int, dict] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split("/")
        if request.method == "GET" and parts[-1] == "webhooks":
            return httpx.Response(200, json=list(hooks.values()))
        if request.method == "POST" and parts[-1] == "webhooks":
            data = {k: v[0] for k, v in form(request).items()}
            hook = {"id": len(hooks) + 1, "type": data["type"], "format": data["format"],
                    "targetUrl": data["targetUrl"], "status": "created",
                    "authentication": json.loads(data["authentication"])}
            hooks[hook["id"]] = hook
            return httpx.Response(201, json=hook)
        if parts[-1] in ("activate", "deactivate"):
            hooks[int(parts[-2])]["status"] = parts[-1] + "d"
            return httpx.Response(200, json=hooks[int(parts[-2])])
        if parts[-1] == "verify":
            return httpx.Response(200, json=[{"id": int(parts[-2]), "httpStatusCode": 200, "numberOfEvents": 1}])
        if request.method == "DELETE":
            hooks.pop(int(parts[-1]))
            return httpx.Response(204)
        raise AssertionError(request)

    client, _ = make_client(handler)
    hook = client.create_webhook("open", "https://hooks.test/in", WebhookAuthentication.basic("u", "hook-pass"))
    assert hooks[hook.id]["authentication"] == {"type": "basicAuth", "userName": "u", "password": "hook-pass"}
    assert hook.authentication_type == "basicAuth" and "hook-pass" not in repr(hook)
    assert "hook-pass" not in repr(WebhookAuthentication.basic("u", "hook-pass"))
    assert client.activate_webhook(hook.id).status == "activated"
    assert client.verify_webhook(hook.id, mailing_id=3)[0].http_status_code == 200
    assert client.deactivate_webhook(hook.id).status == "deactivated"
    client.delete_webhook(hook.id)
    assert client.webhooks() == []
