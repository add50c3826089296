"""Writes whose effect is unknown after a failure are checked, not resent blindly (MockTransport)."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from episerver_assets.campaign.errors import CampaignOutcomeUnknown, CampaignServerError
from episerver_assets.campaign.rest import RecipientData

from .campaign_rest_support import LOGGER, T0, always, form, make_client


def _add_then_drop_handler(list_state: set[str], posts: list[str], drop_first_reply: bool):
    def handler(request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split("/")
        if request.method == "POST":
            rid = form(request)["recipientId"][0]
            posts.append(rid)
            if rid in list_state:
                return httpx.Response(409, json={"errorMessage": "exists"})
            if drop_first_reply and len(posts) == 1:
                list_state.add(rid)  # the service did add it; the reply is lost
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
            if len(posts) == 1:
                raise httpx.ReadTimeout("timed out before the service acted", request=request)
            list_state.add(rid)
            return httpx.Response(201, json={"id": rid, "created": T0, "modified": T0})
        rid = parts[-1]
        if rid in list_state:
            return httpx.Response(200, json={"id": rid, "created": T0, "modified": T0})
        return httpx.Response(404, json={"errorMessage": "not found"})
    return handler


def test_lost_add_reply_is_checked_with_a_get_and_not_sent_again(caplog):
    in_list: set[str] = set()
    posts: list[str] = []
    client, _ = make_client(_add_then_drop_handler(in_list, posts, drop_first_reply=True))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        added = client.add_recipient(7, RecipientData("a@example.com", {"firstname": "A"}))
    assert added.id == "a@example.com" and posts == ["a@example.com"]
    assert any("took effect" in r.getMessage() for r in caplog.records)


def test_add_whose_effect_did_not_happen_is_sent_again_after_the_check():
    in_list: set[str] = set()
    posts: list[str] = []
    client, _ = make_client(_add_then_drop_handler(in_list, posts, drop_first_reply=False))
    client.add_recipient(7, RecipientData("a@example.com", {"firstname": "A"}))
    assert posts == ["a@example.com", "a@example.com"] and in_list == {"a@example.com"}


def test_append_modify_is_never_resent_after_a_5xx():
    calls, handler = always(502, {"errorMessage": "bad gateway"})
    client, _ = make_client(handler)
    with pytest.raises(CampaignOutcomeUnknown) as caught:
        client.modify_recipients(7, [RecipientData("a@example.com", {"note": "+1"})], mode="append")
    assert len(calls) == 1 and caught.value.status == 502
    calls.clear()
    with pytest.raises(CampaignServerError):
        client.modify_recipients(7, [RecipientData("a@example.com", {"note": "x"})], mode="set")
    assert len(calls) == 4  # "set" is idempotent: all attempts used


def test_bulk_add_resent_after_a_lost_reply_duplicates_nothing_and_is_marked_uncertain():
    in_list: set[str] = set()
    puts = []

    def handler(request: httpx.Request) -> httpx.Response:
        puts.append(request)
        ids = [r["id"] for r in json.loads(request.content)["recipients"]]
        failed = [i for i in ids if i in in_list]
        in_list.update(ids)
        if len(puts) == 1:
            raise httpx.ReadTimeout("reply lost", request=request)
        return httpx.Response(200, json={"count": len(ids) - len(failed), "failedIds": failed})

    client, _ = make_client(handler)
    result = client.add_recipients(7, [RecipientData(f"r{i}@example.com") for i in range(3)])
    assert len(puts) == 2 and len(in_list) == 3
    assert result.uncertain and result.count == 0 and len(result.failed_ids) == 3


def test_lost_webhook_create_finds_the_new_webhook_instead_of_creating_another():
    hooks: list[dict] = [{"id": 1, "type": "open", "targetUrl": "https://h.test", "status": "activated"}]
    posts = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=hooks)
        posts.append(request)
        hooks.append({"id": 2, "type": "open", "targetUrl": "https://h.test", "status": "created"})
        return httpx.Response(504, json={"errorMessage": "gateway timeout"})

    client, _ = make_client(handler)
    hook = client.create_webhook("open", "https://h.test")
    assert hook.id == 2 and len(posts) == 1  # the pre-existing webhook 1 was not mistaken for ours
