"""Campaign REST client against the sandbox REST app over HTTP on 127.0.0.1, exchanges validated
against the vendor OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from episerver_assets.campaign.errors import (
    CampaignConflict,
    CampaignError,
    CampaignNotFound,
    CampaignRefusedOperation,
)
from episerver_assets.campaign.rest import RecipientData, UpsertOutcome, WebhookAuthentication

from .campaign_rest_support import LIST, RunningSandbox, running_sandbox, validate_exchanges


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    """The sandbox REST app with list 77 (shadows conftest's `sandbox`, the whole demo sandbox)."""
    with running_sandbox() as running:
        yield running


def test_sandbox_lists_fields_and_paged_recipients(sandbox):
    for i in range(250):
        sandbox.campaign.add_recipient(LIST, f"user{i:03}@example.com", {"firstname": f"F{i}", "lastname": "L"})
    responses: list[httpx.Response] = []
    with sandbox.client(page_size=100, record=responses) as client:
        assert client.check().ok
        assert [(rl.id, rl.name) for rl in client.recipient_lists()] == [(LIST, "Newsletter")]
        assert client.recipient_list(LIST).name == "Newsletter"
        assert [f.internal_name for f in client.list_fields(LIST)] == ["email", "firstname", "lastname"]
        assert client.attribute_names(LIST) == ["email", "firstname", "lastname"]
        recipients = list(client.recipients(LIST, ["email", "firstname"]))
        assert client.count_recipients(LIST) == 250
        assert client.get_recipient(LIST, "nobody@example.com") is None
    assert [r.id for r in recipients] == [f"user{i:03}@example.com" for i in range(250)]
    assert recipients[7].attributes["firstname"] == "F7" and recipients[7].modified is not None
    selects = [r for r in responses if r.request.url.path.endswith(f"/recipients/{LIST}")]
    assert len(selects) == 3  # 100 + 100 + 50, by next links
    assert {"selectRecipients", "countRecipients", "getRecipient", "getRecipientListFields",
            "getAuthenticatedUser"} <= validate_exchanges(responses)


def test_sandbox_upsert_bulk_add_and_deletes(sandbox):
    sandbox.campaign.add_recipient(LIST, "old@example.com", {"firstname": "Old"})
    sandbox.campaign.unsubscribe("gone@example.com")
    responses: list[httpx.Response] = []
    with sandbox.client(record=responses, bulk_batch_size=1000) as client:
        outcomes = [client.upsert_recipient(LIST, RecipientData(rid, {"email": rid, "firstname": "New"})).outcome
                    for rid in ("new@example.com", "old@example.com", "gone@example.com")]
        assert outcomes == [UpsertOutcome.ADDED, UpsertOutcome.UPDATED, UpsertOutcome.REJECTED]
        assert client.get_recipient(LIST, "old@example.com", ["firstname"]).attributes["firstname"] == "New"

        bulk = [RecipientData(f"bulk{i:04}@example.com", {"email": f"bulk{i:04}@example.com", "firstname": "B"})
                for i in range(2500)]
        first = client.add_recipients(LIST, bulk[:2000])
        again = client.add_recipients(LIST, bulk)  # 2000 already there: refused, not duplicated
        assert (first.count, first.failed_ids) == (2000, ())
        assert again.count == 500 and len(again.failed_ids) == 2000 and not again.uncertain
        assert client.count_recipients(LIST) == 2502

        modified = client.modify_recipients(LIST, [RecipientData("old@example.com", {"lastname": "Z"}),
                                                   RecipientData("nobody@example.com", {"lastname": "Z"})])
        assert modified.failed_ids == ("nobody@example.com",)

        assert client.delete_recipient(LIST, "new@example.com") and not client.delete_recipient(LIST, "new@example.com")
        assert client.delete_recipients(LIST, [r.id for r in bulk[:150]]) == 150
        assert client.count_recipients(LIST) == 2351
        with pytest.raises(CampaignRefusedOperation):
            client.delete_all_recipients(LIST)
        assert client.count_recipients(LIST) == 2351
        client.delete_all_recipients(LIST, confirm=True)
        assert client.count_recipients(LIST) == 0
    assert {"addRecipient", "modifyRecipientAttributes", "addRecipients", "modifyRecipientsAttributes",
            "deleteRecipient", "deleteRecipients"} <= validate_exchanges(responses)


def test_sandbox_suppressions_bounces_and_webhooks(sandbox):
    sandbox.campaign.record_bounce("b@example.com", "hardbounce", mailing_id=5, list_id=LIST)
    sandbox.campaign.record_bounce("s@example.com", "softbounce", mailing_id=5, list_id=LIST)
    responses: list[httpx.Response] = []
    with sandbox.client(record=responses) as client:
        result = client.add_unsubscribes(["u1@example.com", "u2@example.com"])
        assert set(result.successful_ids) == {"u1@example.com", "u2@example.com"}
        assert {u.recipient_id for u in client.unsubscribes()} == {"u1@example.com", "u2@example.com"}
        assert client.add_blocklist_entry("*@spam.test", "spam").pattern == "*@spam.test"
        assert [(e.pattern, e.reason) for e in client.blocklist()] == [("*@spam.test", "spam")]
        assert [b.recipient_id for b in client.bounces("hardbounce", mailing_id=5)] == ["b@example.com"]
        assert [b.recipient_id for b in client.bounces("softbounce", mailing_id=5)] == ["s@example.com"]
        by_id = client.bounces("hardbounce", recipient_ids=["b@example.com", "s@example.com"])
        assert [(b.recipient_id, b.mailing_id) for b in by_id] == [("b@example.com", 5)]

        auth = WebhookAuthentication.basic("hook-user", "hook-secret")
        hook = client.create_webhook("open", "https://hooks.example/in", auth)
        assert (hook.status, hook.authentication_type) == ("created", "basicAuth")
        assert client.activate_webhook(hook.id).status == "activated"
        with pytest.raises(CampaignError, match="400"):
            client.delete_webhook(hook.id)  # still active
        target = f"{sandbox.rest_url}/no-such-receiver"  # on loopback; the sandbox answers 404
        updated = client.update_webhook(hook.id, "click", target)
        assert (updated.type, updated.target_url) == ("click", target)
        verified = client.verify_webhook(hook.id, mailing_id=5, number_of_events=2)
        assert [(v.webhook_id, v.number_of_events, v.http_status_code) for v in verified] == [(hook.id, 2, 404)]
        assert client.deactivate_webhook(hook.id).status == "deactivated"
        client.delete_webhook(hook.id)
        assert client.webhooks() == []
    assert {"createUnsubscribes", "selectUnsubscribes", "createBlacklistEntry", "selectResponses",
            "createWebhook", "activateWebhook", "updateWebhook", "verifyWebhook", "deleteWebhook"} <= validate_exchanges(
        responses)


def test_sandbox_recipients_modified_since_watermark(sandbox):
    stamps = {f"w{i}@example.com": datetime(2024, 5, i + 1, tzinfo=UTC) for i in range(4)}
    for rid, stamp in stamps.items():
        sandbox.campaign.add_recipient(LIST, rid, {})
        sandbox.campaign.lists[LIST].recipients[rid].modified = stamp
    with sandbox.client(page_size=3) as client:
        first, mark = client.recipients_modified_since(LIST, None)
        assert len(first) == 4 and mark == datetime(2024, 5, 4, tzinfo=UTC)
        client.update_recipient(LIST, RecipientData("w1@example.com", {"firstname": "changed"}))
        changed, new_mark = client.recipients_modified_since(LIST, mark)
    assert {r.id for r in changed} == {"w1@example.com", "w3@example.com"}  # w3: at the watermark
    assert new_mark > mark


def test_an_unknown_list_is_not_found_and_never_read_as_an_existing_recipient(sandbox):
    """With the vendor's statuses (404 for an unknown list, 409 only for "exists or blocked"), upsert
    fails loudly instead of reporting the recipient as refused, and a read finds nobody."""
    responses: list[httpx.Response] = []
    with sandbox.client(record=responses) as client:
        with pytest.raises(CampaignNotFound):
            client.upsert_recipient(999, RecipientData("new@example.com", {"firstname": "N"}))
        with pytest.raises(CampaignNotFound):
            client.add_recipient(999, RecipientData("new@example.com", {"firstname": "N"}))
        assert client.get_recipient(999, "new@example.com") is None
        assert client.delete_recipient(999, "new@example.com") is False
        with pytest.raises(CampaignConflict):  # the list itself: the vendor documents 409 "not assigned"
            client.recipient_list(999)
    assert [r.status_code for r in responses][-5:] == [404, 404, 404, 404, 409]
    assert {"addRecipient", "getRecipient", "deleteRecipient", "getRecipientList"} <= validate_exchanges(responses)
