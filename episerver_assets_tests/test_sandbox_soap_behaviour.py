"""Behaviour of the sandbox's SOAP API over real HTTP: add codes, array and parameter styles,
sessions, faults and the served WSDLs."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

import httpx
import pytest
from lxml import etree
from starlette.applications import Starlette
from starlette.routing import Mount

from episerver_assets.sandbox.http import BackgroundHttpServer
from episerver_assets.sandbox.soap.services import SERVICES
from episerver_assets.sandbox.soap_app import build_soap_app
from episerver_assets.sandbox.state import (
    BOUNCE_THRESHOLD,
    ClientAccount,
    ClientState,
    ListField,
    RecipientList,
    SandboxState,
)

CLIENT_ID, API_USER, API_PASSWORD = 1000, "sandbox-api", "sandbox-secret"
LIST_ID = 4711
TTL = 60.0
SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAPENC = "http://schemas.xmlsoap.org/soap/encoding/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
SAFE_PARSER = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)


# --- a tiny SOAP client, written by hand so that the wire format is under the test's control ----


def args(**values) -> str:
    """Named arguments in the given order; lists as `element` children, like the recorded requests."""
    return "".join(f"<{name}>{_render(value)}</{name}>" for name, value in values.items())


def _render(value) -> str:
    if isinstance(value, list):
        return "".join(f"<element>{_render(item)}</element>" for item in value)
    return escape(str(value))


def envelope(service: str, operation: str, arguments: str, after_call: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<env:Envelope xmlns:env="{SOAPENV}" xmlns:soapenc="{SOAPENC}" xmlns:xsi="{XSI}" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        f'xmlns:impl="urn:api.broadmail.de/soap11/{service}"><env:Body>'
        f"<impl:{operation}>{arguments}</impl:{operation}>{after_call}</env:Body></env:Envelope>"
    )


def returned_value(xml: bytes):
    """The operation's return value, following multiRef references; None for void."""
    body = etree.fromstring(xml, SAFE_PARSER).find(f"{{{SOAPENV}}}Body")
    refs = {e.get("id"): e for e in body if e.get("id") is not None}
    converters = {"xsd:int": int, "xsd:long": int, "xsd:boolean": lambda text: text == "true"}

    def value(element):
        if (href := element.get("href")) is not None:
            element = refs[href.removeprefix("#")]
        xsi_type = element.get(f"{{{XSI}}}type")
        if xsi_type == "soapenc:Array":
            return [value(item) for item in element]
        return converters.get(xsi_type, str)(element.text or "")

    response = body[0]
    return value(response[0]) if len(response) else None


@dataclass
class Fault:
    code: str
    message: str


class Soap:
    def __init__(self, http: httpx.Client):
        self.http = http

    def post(self, service: str, body: str) -> httpx.Response:
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        return self.http.post(f"/soap11/{service}", content=body.encode("utf-8"), headers=headers)

    def call(self, service: str, operation: str, arguments: str, after_call: str = ""):
        response = self.post(service, envelope(service, operation, arguments, after_call))
        assert response.status_code == 200, response.text
        return returned_value(response.content)

    def fault(self, service: str, operation: str, arguments: str) -> Fault:
        return self.fault_for(service, envelope(service, operation, arguments))

    def fault_for(self, service: str, body: str) -> Fault:
        response = self.post(service, body)
        assert response.status_code == 500, response.text
        fault = etree.fromstring(response.content, SAFE_PARSER).find(f"{{{SOAPENV}}}Body/{{{SOAPENV}}}Fault")
        return Fault(fault.findtext("faultcode"), fault.findtext("faultstring"))

    def login(self, client_id: int = CLIENT_ID, password: str = API_PASSWORD) -> str:
        return self.call("RpcSession", "login", args(mandatorId=client_id, user=API_USER, password=password))


# --- fixtures ------------------------------------------------------------------------------------


class FakeClock:
    """Session time that tests move forward instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SwappableApp:
    """One HTTP server for the module, a fresh SOAP app (state, clock, sessions) for each test."""

    app = None

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)


@dataclass
class Sandbox:
    client: ClientState
    clock: FakeClock
    soap: Soap
    base_url: str


@pytest.fixture(scope="module")
def server():
    swappable = SwappableApp()
    app = Starlette(routes=[Mount("/soap11", app=swappable)])
    with BackgroundHttpServer(app) as server, httpx.Client(base_url=server.base_url, timeout=10) as http:
        yield swappable, server.base_url, http


@pytest.fixture
def sandbox(server):
    swappable, base_url, http = server
    state = SandboxState([ClientAccount(CLIENT_ID, API_USER, API_PASSWORD)])
    client = state.client(CLIENT_ID)
    fields = [ListField(name) for name in ("email", "first_name", "last_name")]
    client.lists[LIST_ID] = RecipientList(LIST_ID, "Newsletter", "Main list", fields)
    clock = FakeClock()
    swappable.app = build_soap_app(state, session_ttl_seconds=TTL, clock=clock)
    return Sandbox(client, clock, Soap(http), base_url)


def seed_two(client: ClientState) -> None:
    client.add_recipient(LIST_ID, "a@example.com", {"email": "a@example.com", "first_name": "Ann"})
    client.add_recipient(LIST_ID, "b@example.com", {"email": "b@example.com", "first_name": "Bob"})


# --- addAll3 -------------------------------------------------------------------------------------

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


# --- parameters ----------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["names-out-of-order", "positional-in", "unknown-names-by-position"])
def test_parameters_by_name_in_any_order_or_by_position(sandbox, style):
    seed_two(sandbox.client)
    session = sandbox.soap.login()
    names = ["first_name", "email"]
    arguments = {
        "names-out-of-order": args(attributeNames=names, sessionId=session, recipientListId=LIST_ID),
        "positional-in": args(in2=names, in0=session, in1=LIST_ID),
        "unknown-names-by-position": args(arg0=session, arg1=LIST_ID, arg2=names),
    }[style]

    values = sandbox.soap.call("RpcRecipient", "getAllFlat", arguments)

    assert values == ["Ann", "a@example.com", "Bob", "b@example.com"]


def test_missing_and_malformed_arguments_are_faults(sandbox):
    session = sandbox.soap.login()
    count = {"sessionId": session, "recipientListId": "abc", "recipientFilterId": 0}

    missing = sandbox.soap.fault("RpcRecipient", "getCount", args(sessionId=session))
    not_a_number = sandbox.soap.fault("RpcRecipient", "getCount", args(**count))
    malformed = sandbox.soap.fault_for("RpcRecipient", "<env:Envelope>")

    assert "missing recipientListId, recipientFilterId" in missing.message
    assert not_a_number.message == 'java.lang.NumberFormatException: For input string: "abc"'
    assert malformed.message.startswith("org.xml.sax.SAXParseException")


# --- recipients and lists ------------------------------------------------------------------------


def test_clear_empties_the_list(sandbox):
    seed_two(sandbox.client)
    session = sandbox.soap.login()
    count = args(sessionId=session, recipientListId=LIST_ID, recipientFilterId=0)
    assert sandbox.soap.call("RpcRecipient", "getCount", count) == 2

    assert sandbox.soap.call("RpcRecipient", "clear", args(sessionId=session, recipientListId=LIST_ID)) is None

    assert sandbox.soap.call("RpcRecipient", "getCount", count) == 0
    assert sandbox.client.lists[LIST_ID].recipients == {}
    unknown = sandbox.soap.fault("RpcRecipient", "clear", args(sessionId=session, recipientListId=999))
    assert unknown.message.endswith("Recipient list #999 does not exist.")


def test_add2_update_contains_and_remove_one_recipient(sandbox):
    session = sandbox.soap.login()
    one = {"sessionId": session, "recipientListId": LIST_ID, "recipientId": "c@example.com"}
    add2 = args(
        sessionId=session,
        recipientListId=LIST_ID,
        optinProcessId=0,
        recipientId="c@example.com",
        address="c@example.com",
        attributeNames=["first_name"],
        attributeValues=["Cy"],
    )

    assert sandbox.soap.call("RpcRecipient", "add2", add2) == 0
    assert sandbox.soap.call("RpcRecipient", "add2", add2) == 5
    assert sandbox.soap.call("RpcRecipient", "contains", args(**one)) is True
    update = args(**one, attributeNames=["last_name"], attributeValues=["Ämmerle & Co"])
    assert sandbox.soap.call("RpcRecipient", "setAttributes", update) is None
    read = args(**one, attributeNames=["first_name", "last_name"])
    assert sandbox.soap.call("RpcRecipient", "getAttributes", read) == ["Cy", "Ämmerle & Co"]
    assert sandbox.soap.call("RpcRecipient", "remove", args(**one)) is None
    assert sandbox.soap.call("RpcRecipient", "contains", args(**one)) is False


def test_set_attributes_in_batch_flat_is_all_or_nothing(sandbox):
    seed_two(sandbox.client)
    session = sandbox.soap.login()

    def batch(ids: list[str]) -> str:
        return args(
            recipientListId=LIST_ID,
            recipientIds=ids,
            attributeNames=["last_name"],
            flatAttributeValues=[i.upper() for i in ids],
            sessionId=session,
        )

    fault = sandbox.soap.fault(
        "RpcRecipient", "setAttributesInBatchFlat", batch(["a@example.com", "x@example.com"])
    )
    recipients = sandbox.client.lists[LIST_ID].recipients
    assert "Recipients x@example.com do not exist" in fault.message
    assert recipients["a@example.com"].attributes["last_name"] is None

    sandbox.soap.call("RpcRecipient", "setAttributesInBatchFlat", batch(["a@example.com", "b@example.com"]))

    last_names = [recipients[r].attributes["last_name"] for r in ("a@example.com", "b@example.com")]
    assert last_names == ["A@EXAMPLE.COM", "B@EXAMPLE.COM"]


def test_recipient_lists(sandbox):
    sandbox.client.lists[12] = RecipientList(12, "Other", "Second list", [ListField("email")])
    session = sandbox.soap.login()
    list_12 = args(sessionId=session, recipientListId=12)
    names = args(sessionId=session, recipientListId=LIST_ID, locale="de")

    assert sandbox.soap.call("RpcRecipientList", "getAllIds", args(sessionId=session)) == [12, LIST_ID]
    assert sandbox.soap.call("RpcRecipientList", "getAttributeNames", names) == [
        "email",
        "first_name",
        "last_name",
    ]
    assert sandbox.soap.call("RpcRecipientList", "getName", list_12) == "Other"
    assert sandbox.soap.call("RpcRecipientList", "getDescription", list_12) == "Second list"


def test_unsubscribes_add_contains_count_remove(sandbox):
    session = sandbox.soap.login()

    def contains(address: str) -> bool:
        return sandbox.soap.call("RpcUnsubscribe", "contains", args(sessionId=session, recipientId=address))

    sandbox.soap.call(
        "RpcUnsubscribe", "add", args(sessionId=session, recipientListId=0, recipientId="Jo@Example.com")
    )

    assert contains("jo@example.com") is True
    assert sandbox.soap.call("RpcUnsubscribe", "getCount", args(sessionId=session)) == 1
    assert sandbox.client.add_recipient(LIST_ID, "jo@example.com", {}) == 2, "an unsubscribe blocks adding"
    sandbox.soap.call("RpcUnsubscribe", "remove", args(sessionId=session, recipientId="jo@example.com"))
    assert contains("Jo@Example.com") is False
    assert sandbox.soap.call("RpcUnsubscribe", "getCount", args(sessionId=session)) == 0


# --- sessions ------------------------------------------------------------------------------------


def test_session_expires_after_the_ttl_since_last_use(sandbox):
    session = sandbox.soap.login()
    get_all_ids = args(sessionId=session)
    sandbox.clock.advance(TTL - 1)
    assert sandbox.soap.call("RpcRecipientList", "getAllIds", get_all_ids) == [LIST_ID]
    sandbox.clock.advance(TTL - 1)
    assert sandbox.soap.call("RpcRecipientList", "getAllIds", get_all_ids) == [LIST_ID], "use restarts the TTL"

    sandbox.clock.advance(TTL)
    fault = sandbox.soap.fault("RpcRecipientList", "getAllIds", get_all_ids)

    assert fault.code == "soapenv:Server.userException"
    assert fault.message.startswith("broadmail.api.soap11.impl.WebserviceImplException: Invalid session")
    fresh = args(sessionId=sandbox.soap.login())
    assert sandbox.soap.call("RpcRecipientList", "getAllIds", fresh) == [LIST_ID]


def test_logout_ends_the_session(sandbox):
    session = sandbox.soap.login()

    assert sandbox.soap.call("RpcSession", "logout", args(sessionId=session)) is None

    after_logout = sandbox.soap.fault("RpcRecipientList", "getAllIds", args(sessionId=session))
    made_up = sandbox.soap.fault("RpcRecipientList", "getAllIds", args(sessionId="0123456789abcdef"))
    assert "Invalid session" in after_logout.message
    assert "Invalid session" in made_up.message


@pytest.mark.parametrize("client_id, password", [(CLIENT_ID, "wrong"), (999, API_PASSWORD)])
def test_login_with_bad_credentials_is_the_recorded_fault(sandbox, client_id, password):
    fault = sandbox.soap.fault("RpcSession", "login", args(mandatorId=client_id, user=API_USER, password=password))
    message = "broadmail.api.soap11.impl.WebserviceImplException: Invalid credentials."
    assert fault == Fault("soapenv:Server.userException", message)


# --- unknown operations and services -------------------------------------------------------------


def test_unknown_operation_unimplemented_operation_and_unknown_service(sandbox):
    session = args(sessionId=sandbox.soap.login())

    unknown = sandbox.soap.fault("RpcRecipient", "frobnicate", session)
    unimplemented = sandbox.soap.fault("RpcRecipient", "changeRecipientId2", session)
    no_service = sandbox.soap.fault_for("RpcNothing", envelope("RpcNothing", "login", ""))

    assert unknown == Fault("soapenv:Client", "No such operation 'frobnicate'")
    assert unimplemented.code == "soapenv:Server.generalException"
    assert "RpcRecipient.changeRecipientId2" in unimplemented.message
    assert no_service.code == "soapenv:Server.NoService"


# --- WSDL ----------------------------------------------------------------------------------------

ALL_SERVICES = ["RpcBlacklist", "RpcMailing", "RpcRecipient", "RpcRecipientList", "RpcSession", "RpcUnsubscribe"]
WSDL_TYPES = {
    "xsd:string": "string",
    "xsd:long": "long",
    "xsd:int": "int",
    "xsd:boolean": "boolean",
    "impl:ArrayOf_xsd_string": "string[]",
    "impl:ArrayOfArrayOf_xsd_string": "string[][]",
    "impl:ArrayOf_xsd_int": "int[]",
    "impl:ArrayOf_xsd_long": "long[]",
    "impl:ArrayOf_xsd_boolean": "boolean[]",
}


def fetch_wsdl(sandbox: Sandbox, service: str, query: str = "wsdl", **headers) -> etree._Element:
    response = sandbox.soap.http.get(f"/soap11/{service}?{query}", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    return etree.fromstring(response.content, SAFE_PARSER)


def address(wsdl: etree._Element) -> str:
    return wsdl.find(f".//{{{WSDL}}}port/{{http://schemas.xmlsoap.org/wsdl/soap/}}address").get("location")


@pytest.mark.parametrize("service", ALL_SERVICES)
def test_wsdl_is_served_with_the_sandbox_address(sandbox, service):
    wsdl = fetch_wsdl(sandbox, service)

    assert wsdl.get("targetNamespace") == f"urn:api.broadmail.de/soap11/{service}"
    assert address(wsdl) == f"{sandbox.base_url}/soap11/{service}"
    assert address(fetch_wsdl(sandbox, service, "WSDL")) == f"{sandbox.base_url}/soap11/{service}"


def test_wsdl_address_follows_the_host_header(sandbox):
    wsdl = fetch_wsdl(sandbox, "RpcSession", Host="campaign.test:8443")
    assert address(wsdl) == "http://campaign.test:8443/soap11/RpcSession"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_implemented_operations_have_the_wsdl_signatures(sandbox, service):
    wsdl = fetch_wsdl(sandbox, service)
    messages = {
        message.get("name"): [WSDL_TYPES[part.get("type")] for part in message.iterfind(f"{{{WSDL}}}part")]
        for message in wsdl.iterfind(f"{{{WSDL}}}message")
        if message.get("name") != "WebserviceException"
    }
    for name, operation in SERVICES[service].items():
        assert [p.type for p in operation.params] == messages[f"{name}Request"], f"{service}.{name} parameters"
        returns = [operation.returns] if operation.returns else []
        assert messages[f"{name}Response"] == returns, f"{service}.{name} return type"
