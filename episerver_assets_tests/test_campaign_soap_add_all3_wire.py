"""addAll3's envelope built without zeep: byte for byte zeep's for tricky values, accepted by the sandbox
with every value intact, and the reply's codes read with lxml."""

from __future__ import annotations

import pytest
from lxml import etree
from zeep.wsdl.utils import etree_to_string

from episerver_assets.campaign.errors import CampaignError
from episerver_assets.campaign.soap import CampaignSoapResource, RecipientRecord
from episerver_assets.campaign.soap.add_all3 import RecipientColumns, batches
from episerver_assets.campaign.soap.add_all3_wire import parse_codes
from episerver_assets.campaign.soap.encoding import string_array, string_matrix
from episerver_assets.settings import load_settings

from .scripted_soap_server import XSI, int_array_reply, scripted

NAMES = ["firstname", "lastname", "city"]
TRICKY = [
    RecipientRecord("q@example.com", "q@example.com", {"firstname": 'say "hi"', "lastname": "it's", "city": "a&b<c>d"}),
    RecipientRecord("u@example.com", "u@example.com", {"firstname": "Jörg Ærø ß€😀", "lastname": "", "city": None}),
    RecipientRecord("s@example.com", "s@example.com", {"firstname": "  lead", "lastname": "trail  ", "city": "\tx\r\ny\n"}),
    RecipientRecord("n@example.com", "n@example.com", {"firstname": 42, "lastname": True, "city": "]]> &amp; &#13;"}),
]


def _zeep_envelope(session_id: str, list_id: int, records: list[RecipientRecord], names: list[str]) -> bytes:
    """What the zeep path sends: zeep's rpc envelope with the arrays put in by `place_arrays`."""
    client, _ = scripted()
    caller = client._caller
    rows = [[r.attributes.get(n) for n in names] for r in records]
    arrays = (string_array(r.recipient_id for r in records), string_array(r.address for r in records),
              string_array(names), string_matrix(rows))
    return etree_to_string(caller.envelope(caller.service("RpcRecipient"), "addAll3",
                                           (session_id, list_id, 3, *arrays)))


@pytest.mark.parametrize("names", [NAMES, []])
def test_the_envelope_is_byte_for_byte_what_zeep_renders(names):
    [batch] = batches(TRICKY, names, 10, list_id=4711, optin_process_id=3)
    assert batch.envelope.render("sess&ion<1>") == _zeep_envelope("sess&ion<1>", 4711, TRICKY, names)


def test_columns_and_records_render_the_same_batches():
    columns = RecipientColumns([r.recipient_id for r in TRICKY], [r.address for r in TRICKY],
                               {n: [r.attributes.get(n) for r in TRICKY] for n in NAMES})
    from_columns = [b.envelope.render("s") for b in batches(columns, NAMES, 3, list_id=1)]
    from_records = [b.envelope.render("s") for b in batches(TRICKY, NAMES, 3, list_id=1)]
    assert len(from_columns) == 2 and from_columns == from_records


@pytest.mark.parametrize(("bad", "code"), [("nul\x00", "0000"), ("bell\x07", "0007"), ("\ufffe", "FFFE"),
                                         ("lone \ud800 surrogate", "D800")])
def test_a_character_xml_cannot_carry_is_refused_naming_row_and_column(bad, code):
    records = [*TRICKY, RecipientRecord("bad@example.com", "bad@example.com", {"city": bad})]
    with pytest.raises(CampaignError) as refused:
        list(batches(records, NAMES, 3, list_id=1))
    assert str(refused.value) == f"row 5 (recipient '***'): city contains U+{code}, a character XML 1.0 cannot carry"


def test_the_sandbox_stores_every_tricky_value_as_zeep_would_send_it(sandbox, sandbox_env):
    list_id = 58001000000
    sent = etree.fromstring(_zeep_envelope("s", list_id, TRICKY, NAMES))
    zeep_rows = [[None if e.get(f"{{{XSI}}}nil") == "true" else e.text or "" for e in row]
                 for row in next(sent.iter("in6"))]
    with CampaignSoapResource.from_settings(load_settings()).client() as soap:
        soap.clear(list_id)
        summary = soap.add_all3(list_id, TRICKY, NAMES)
    assert summary.added == len(TRICKY)
    stored = sandbox.state.client(1000).lists[list_id].recipients
    assert [[stored[r.recipient_id].attributes.get(n) for n in NAMES] for r in TRICKY] == zeep_rows
    assert zeep_rows[0] == ['say "hi"', "it's", "a&b<c>d"] and zeep_rows[2][2] == "\tx\r\ny\n"


def test_codes_are_read_from_multirefs_and_inline_items():
    _, multiref = int_array_reply("RpcRecipient", "addAll3", [0, 5, 42])
    assert parse_codes(multiref) == [0, 5, 42]
    inline = multiref.replace(b'<addAll3Return href="#id1"/>', b"<addAll3Return>3</addAll3Return>")
    assert parse_codes(inline) == [0, 3, 42]
    assert parse_codes(b"<html>busy</html>") is None
    assert parse_codes(multiref.replace(b'href="#id2"', b'href="#id9"')) is None
