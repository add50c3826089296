"""Column-based bulk add / modify (`*_encoded`): the same request bodies, batches, retries and results."""

from __future__ import annotations

import json

import httpx
import pytest

from episerver_assets.campaign.errors import CampaignOutcomeUnknown, CampaignServerError
from episerver_assets.campaign.rest import RecipientData

from .campaign_rest_support import always, make_client

# Non-ASCII, quotes, backslashes, control characters, empty values, no fields, no address.
ROWS = [
    ("zoë@example.com", {"audiences": "Käufer, \"VIP\"", "city": ""}, "zoë@example.com"),
    ("back\\slash@example.com", {"note": "line\nbreak\ttab \u2028 \U0001f600"}, "back\\slash@example.com"),
    ("plain@example.com", {}, "plain@example.com"),
    ("no-address", {"audiences": ""}, None),
    ("quote\"id@example.com", {"a": "1", "b": "x/y"}, "quote\"id@example.com"),
]


def _compact(payload: dict) -> str | None:
    """A payload text as a JSON encoder with httpx's settings writes it; None for no fields."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")) if payload else None


def _recording_client() -> tuple:
    bodies: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request)
        ids = [r["id"] for r in json.loads(request.content)["recipients"]]
        return httpx.Response(200, json={"count": len(ids), "failedIds": ids[:1]})

    client, _ = make_client(handler)
    return client, bodies


def test_encoded_add_sends_the_bytes_the_object_path_sends_in_the_same_batches():
    rows = ROWS * 500  # 2500 rows: batches of 1000, 1000, 500
    old_client, old = _recording_client()
    old_result = old_client.add_recipients(7, [RecipientData(i, p, address=a) for i, p, a in rows], optin_process_id=3)
    new_client, new = _recording_client()
    ids, payloads, addresses = zip(*rows)
    new_result = new_client.add_recipients_encoded(7, ids, [_compact(p) for p in payloads], addresses,
                                                   optin_process_id=3)
    assert [len(json.loads(r.content)["recipients"]) for r in new] == [1000, 1000, 500]
    assert [r.content for r in new] == [r.content for r in old]
    assert [(r.method, r.url.path, r.headers["content-type"]) for r in new] == \
        [(r.method, r.url.path, r.headers["content-type"]) for r in old]
    assert new_result == old_result and new_result.count == 2500 and len(new_result.failed_ids) == 3


def test_encoded_modify_matches_the_object_path_and_other_spellings_decode_the_same():
    old_client, old = _recording_client()
    old_client.modify_recipients(7, [RecipientData(i, p) for i, p, _ in ROWS], mode="append")
    new_client, new = _recording_client()
    ids, payloads, _ = zip(*ROWS)
    new_client.modify_recipients_encoded(7, ids, [_compact(p) for p in payloads], mode="append")
    assert new[0].content == old[0].content and new[0].url.path.endswith("/recipients/7/modify")
    # A text as PostgreSQL's json_build_object writes it (spaces, \u escapes) decodes to the same body.
    spaced_client, spaced = _recording_client()
    spaced_client.modify_recipients_encoded(7, ids, [json.dumps(p) for p in payloads], mode="append")
    assert spaced[0].content != old[0].content
    assert json.loads(spaced[0].content) == json.loads(old[0].content)


def test_encoded_add_resent_after_a_5xx_is_marked_uncertain():
    puts: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        puts.append(request)
        if len(puts) == 1:  # the service may have added them: the resend finds them in the list
            return httpx.Response(503, json={"errorMessage": "unavailable"})
        return httpx.Response(200, json={"count": 0, "failedIds": ["a@example.com", "b@example.com"]})

    client, waits = make_client(handler)
    result = client.add_recipients_encoded(7, ["a@example.com", "b@example.com"], ['{"x":"1"}', None])
    assert len(puts) == 2 and puts[0].content == puts[1].content and len(waits) == 1
    assert result.uncertain and result.count == 0 and result.failed_ids == ("a@example.com", "b@example.com")


def test_encoded_modify_retries_set_but_never_resends_append():
    calls, handler = always(502, {"errorMessage": "bad gateway"})
    client, _ = make_client(handler)
    with pytest.raises(CampaignOutcomeUnknown):
        client.modify_recipients_encoded(7, ["a@example.com"], ['{"note":"+1"}'], mode="append")
    assert len(calls) == 1
    calls.clear()
    with pytest.raises(CampaignServerError):
        client.modify_recipients_encoded(7, ["a@example.com"], ['{"note":"x"}'])
    assert len(calls) == 4


def test_a_text_that_is_no_json_object_is_refused_without_naming_the_address():
    client, sent = _recording_client()
    with pytest.raises(ValueError, match="row 1 of the batch") as caught:
        client.add_recipients_encoded(7, ["a@example.com", "secret@example.com"], ['{"a":"1"}', '"text"'])
    assert "secret" not in str(caught.value) and sent == []
    for row, text in ((3, '{"c":"3"}]'), (4, '{"d":"4"} '), (1, "[]"), (0, "}{")):
        texts = ['{"a":"1"}', None, '{"b":"2"}', '{"c":"3"}', '{"d":"4"}']
        texts[row] = text
        with pytest.raises(ValueError, match=f"row {row} of the batch"):
            client.modify_recipients_encoded(7, [f"r{i}@example.com" for i in range(5)], texts)
    with pytest.raises(ValueError, match="2 recipient ids but 1 data texts"):
        client.modify_recipients_encoded(7, ["a@example.com", "b@example.com"], ['{"a":"1"}'])
