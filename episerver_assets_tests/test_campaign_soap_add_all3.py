"""The Campaign SOAP client's addAll3: every array element on the wire, batching, and the codes."""

from __future__ import annotations

import pytest
from lxml import etree

from episerver_assets.campaign.errors import CampaignError
from episerver_assets.campaign.soap import AddAll3Code, RecipientRecord

from .scripted_soap_server import SOAPENC, XSI, Posted, int_array_reply, login_reply, scripted

TRICKY = [
    RecipientRecord("id-1", "jörg.müller@example.de", {"first_name": "Jörg", "note": 'say "hi" & bye; ok'}),
    RecipientRecord("id;2", "o'brien@example.com", {"first_name": "<Ann>", "note": None}),
    RecipientRecord("id&3", "x@example.com", {"first_name": "Ærø\r\nline", "note": "ß€😀"}),
]


def _array_texts(node: etree._Element) -> list[str | None]:
    return [child.text if child.get(f"{{{XSI}}}nil") != "true" else None for child in node]


def _assert_typed_array(node: etree._Element, array_type: str) -> None:
    assert node.get(f"{{{XSI}}}type") == "soapenc:Array"
    assert node.nsmap.get("soapenc") == SOAPENC and node.nsmap.get("xsd") == "http://www.w3.org/2001/XMLSchema"
    assert node.get(f"{{{SOAPENC}}}arrayType") == array_type


def test_add_all3_sends_every_array_element_with_its_text_intact():
    client, server = scripted()
    client.add_all3(99, TRICKY, ["first_name", "note"], optin_process_id=5)

    (posted,) = server.of("addAll3")
    assert [a.tag for a in posted.call] == [f"in{i}" for i in range(7)]
    assert [posted.arg(i).text for i in range(3)] == ["0123456789abcdef", "99", "5"]
    _assert_typed_array(posted.arg(3), "xsd:string[3]")
    _assert_typed_array(posted.arg(4), "xsd:string[3]")
    _assert_typed_array(posted.arg(5), "xsd:string[2]")
    _assert_typed_array(posted.arg(6), "xsd:string[][3]")
    assert _array_texts(posted.arg(3)) == ["id-1", "id;2", "id&3"]
    assert _array_texts(posted.arg(4)) == [r.address for r in TRICKY]
    assert _array_texts(posted.arg(5)) == ["first_name", "note"]
    rows = list(posted.arg(6))
    assert len(rows) == 3
    for row in rows:
        _assert_typed_array(row, "xsd:string[2]")
    assert [_array_texts(row) for row in rows] == [
        ["Jörg", 'say "hi" & bye; ok'],
        ["<Ann>", None],
        ["Ærø\r\nline", "ß€😀"],
    ]
    assert all(a.get(f"{{{XSI}}}nil") is None for a in posted.call)
    # The raw bytes: UTF-8 text, escaped markup characters, CR kept as a character reference.
    assert "jörg.müller".encode() in posted.raw and "😀".encode() in posted.raw
    assert b"say \"hi\" &amp; bye; ok" in posted.raw and b"&lt;Ann&gt;" in posted.raw
    assert b"line" in posted.raw and b"&#13;" in posted.raw


def test_add_all3_rejects_characters_xml_cannot_carry_before_sending():
    client, server = scripted()
    with pytest.raises(CampaignError, match="'bad'.*note"):
        client.add_all3(1, [RecipientRecord("bad", "a@b.de", {"note": "nul\x00"})], ["note"])
    assert server.of("addAll3") == []


def _codes_by_id_suffix(posted: Posted) -> tuple[int, bytes]:
    if posted.operation == "login":
        return login_reply("feedfacefeedface")
    codes = [int(e.text.removeprefix("r")) for e in posted.arg(3)]
    return int_array_reply("RpcRecipient", "addAll3", codes)


def test_add_all3_batches_and_counts_every_code():
    client, server = scripted(_codes_by_id_suffix, batch_size=3)
    records = [RecipientRecord(f"r{code}", f"r{code}@example.com") for code in range(8)]
    summary = client.add_all3(5, iter(records), ["email"])

    assert server.operations() == ["login", "addAll3", "addAll3", "addAll3"]
    assert [len(p.arg(3)) for p in server.of("addAll3")] == [3, 3, 2]
    assert summary.batches == 3 and summary.total == 8 and summary.added == 1 and summary.rejected == 7
    assert summary.counts == {code: 1 for code in AddAll3Code}
    assert summary.recipient_ids == {code: [f"r{int(code)}"] for code in AddAll3Code if code}
    assert AddAll3Code.ADDED not in summary.recipient_ids
    assert [c.name for c in AddAll3Code] == [
        "ADDED", "INVALID_ADDRESS", "UNSUBSCRIBED", "BLOCKLISTED", "TOO_MANY_BOUNCES",
        "ALREADY_IN_LIST", "FILTERED", "OTHER_ERROR",
    ]


def test_unknown_code_counts_as_other_error(caplog):
    def handler(posted: Posted):
        if posted.operation == "login":
            return login_reply("abcabcabcabcabca")
        return int_array_reply("RpcRecipient", "addAll3", [0, 42])

    client, _ = scripted(handler)
    summary = client.add_all3(5, [RecipientRecord("a", "a@x.de"), RecipientRecord("b", "b@x.de")], [])
    assert summary.counts[AddAll3Code.OTHER_ERROR] == 1
    assert summary.recipient_ids[AddAll3Code.OTHER_ERROR] == ["b"]
    assert "unknown code 42" in caplog.text


def test_a_reply_with_the_wrong_number_of_codes_is_an_error():
    def handler(posted: Posted):
        if posted.operation == "login":
            return login_reply("abcabcabcabcabca")
        return int_array_reply("RpcRecipient", "addAll3", [0])

    client, _ = scripted(handler)
    with pytest.raises(CampaignError, match="1 codes for a batch of 2"):
        client.add_all3(5, [RecipientRecord("a", "a@x.de"), RecipientRecord("b", "b@x.de")], [])
