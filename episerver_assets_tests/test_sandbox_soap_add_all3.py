"""The sandbox's SOAP addAll3 over real HTTP: one code per recipient in every array style, the
Axis-style reply, and faults for mismatched arrays."""

from __future__ import annotations

import pytest
from lxml import etree

from episerver_assets.sandbox.state import BOUNCE_THRESHOLD, ClientState

from .sandbox_soap_client import LIST_ID, SAFE_PARSER, SOAPENC, SOAPENV, XSI, args, envelope
from .sandbox_soap_client import sandbox, server  # noqa: F401  (pytest fixtures; sandbox needs server)

# One recipient per addAll3 code: 0 added, 1 invalid, 2 unsubscribed, 3 blocklisted, 4 bounced, 5 exists.
ADDRESSES = [
    "new@example.com",
    "not-an-address",
    "gone@example.com",
    "blocked@example.com",
    "bouncy@example.com",
    "old@example.com",
]
NAMES = ["first_name", "last_name"]
ROWS = [[f"First{i}", f"Last{i}"] for i in range(len(ADDRESSES))]


def add_suppressions(client: ClientState) -> None:
    client.unsubscribe("gone@example.com")
    client.add_blocklist_entry("blocked@example.com")
    for _ in range(BOUNCE_THRESHOLD):
        client.record_bounce("bouncy@example.com", "hardbounce")
    client.add_recipient(LIST_ID, "old@example.com", {"email": "old@example.com", "first_name": "Old"})


def element_arrays(session: str) -> tuple[str, str]:
    arguments = args(
        sessionId=session,
        recipientListId=LIST_ID,
        optinProcessId=0,
        recipientIds=ADDRESSES,
        addresses=ADDRESSES,
        attributeNames=NAMES,
        attributeValues=ROWS,
    )
    return arguments, ""


def soapenc_array(values: list[str], item: str = "item") -> str:
    """Attributes and items of a soapenc:Array, to put after an opening tag's name."""
    items = "".join(f'<{item} xsi:type="xsd:string">{v}</{item}>' for v in values)
    return f'xsi:type="soapenc:Array" soapenc:arrayType="xsd:string[{len(values)}]">{items}'


def soapenc_arrays(session: str) -> tuple[str, str]:
    rows = "".join(f"<row {soapenc_array(row, 'value')}</row>" for row in ROWS)
    arguments = (
        f'<in0 xsi:type="xsd:string">{session}</in0><in1 xsi:type="xsd:long">{LIST_ID}</in1>'
        f'<in2 xsi:type="xsd:long">0</in2><in3 {soapenc_array(ADDRESSES)}</in3>'
        f"<in4 {soapenc_array(ADDRESSES)}</in4><in5 {soapenc_array(NAMES)}</in5>"
        f'<in6 xsi:type="soapenc:Array" soapenc:arrayType="xsd:string[][{len(ROWS)}]">{rows}</in6>'
    )
    return arguments, ""


def multi_ref_arrays(session: str) -> tuple[str, str]:
    """What Axis clients send: arrays as multiRef elements after the call, referenced by href."""
    arguments = (
        f"<in0>{session}</in0><in1>{LIST_ID}</in1><in2>0</in2>"
        '<in3 href="#id0"/><in4 href="#id1"/><in5 href="#id2"/><in6 href="#id3"/>'
    )
    row_refs = "".join(f'<item href="#row{i}"/>' for i in range(len(ROWS)))
    multi_refs = [
        f'<multiRef id="id0" soapenc:root="0" {soapenc_array(ADDRESSES)}</multiRef>',
        f'<multiRef id="id1" soapenc:root="0" {soapenc_array(ADDRESSES)}</multiRef>',
        f'<multiRef id="id2" soapenc:root="0" {soapenc_array(NAMES)}</multiRef>',
        f'<multiRef id="id3" soapenc:root="0" xsi:type="soapenc:Array" '
        f'soapenc:arrayType="xsd:string[][{len(ROWS)}]">{row_refs}</multiRef>',
        *(f'<multiRef id="row{i}" soapenc:root="0" {soapenc_array(row)}</multiRef>' for i, row in enumerate(ROWS)),
    ]
    return arguments, "".join(multi_refs)


@pytest.mark.parametrize(
    "array_style",
    [element_arrays, soapenc_arrays, multi_ref_arrays],
    ids=["element-children", "soapenc-arrays", "multiref-arrays"],
)
def test_add_all3_returns_one_code_per_recipient(sandbox, array_style):
    add_suppressions(sandbox.client)
    arguments, after_call = array_style(sandbox.soap.login())

    codes = sandbox.soap.call("RpcRecipient", "addAll3", arguments, after_call)

    assert codes == [0, 1, 2, 3, 4, 5]
    recipients = sandbox.client.lists[LIST_ID].recipients
    assert set(recipients) == {"new@example.com", "old@example.com"}
    added = recipients["new@example.com"].attributes
    assert added == {"email": "new@example.com", "first_name": "First0", "last_name": "Last0"}
    assert recipients["old@example.com"].attributes["first_name"] == "Old", "existing recipients stay untouched"


def test_add_all3_answers_with_an_axis_int_array(sandbox):
    arguments, _ = element_arrays(sandbox.soap.login())
    response = sandbox.soap.post("RpcRecipient", envelope("RpcRecipient", "addAll3", arguments))

    body = etree.fromstring(response.content, SAFE_PARSER).find(f"{{{SOAPENV}}}Body")
    returned = body.find("{urn:api.broadmail.de/soap11/RpcRecipient}addAll3Response/addAll3Return")
    assert returned.get(f"{{{SOAPENC}}}arrayType") == f"xsd:int[{len(ADDRESSES)}]"
    assert returned.get(f"{{{XSI}}}type") == "soapenc:Array"
    assert [item.tag for item in returned] == ["addAll3Return"] * len(ADDRESSES)
    multi_refs = body.findall("multiRef")
    assert {m.get(f"{{{XSI}}}type") for m in multi_refs} == {"xsd:int"}
    assert sorted(f"#{m.get('id')}" for m in multi_refs) == sorted(item.get("href") for item in returned)


def test_add_all3_with_mismatched_arrays_is_a_fault_naming_them(sandbox):
    session = sandbox.soap.login()
    head = {"sessionId": session, "recipientListId": LIST_ID, "optinProcessId": 0}
    one_address_short = args(
        **head,
        recipientIds=["a@example.com", "b@example.com"],
        addresses=["a@example.com"],
        attributeNames=NAMES,
        attributeValues=[["A", "B"], ["C", "D"]],
    )
    one_value_short = args(
        **head,
        recipientIds=["a@example.com"],
        addresses=["a@example.com"],
        attributeNames=NAMES,
        attributeValues=[["A"]],
    )

    lengths = sandbox.soap.fault("RpcRecipient", "addAll3", one_address_short)
    row = sandbox.soap.fault("RpcRecipient", "addAll3", one_value_short)

    assert lengths.code == "soapenv:Server.userException"
    assert lengths.message.startswith("broadmail.api.soap11.impl.WebserviceImplException: ")
    assert "recipientIds has 2" in lengths.message and "addresses has 1" in lengths.message
    assert "attributeValues[0] has 1" in row.message and "attributeNames has 2" in row.message
    assert sandbox.client.lists[LIST_ID].recipients == {}
