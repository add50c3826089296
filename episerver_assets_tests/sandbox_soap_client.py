"""A hand-written SOAP client and fixtures for the sandbox's SOAP behaviour tests.

The client is written by hand so that the wire format is under the test's control. The `server`
fixture runs one HTTP server per test module; `sandbox` swaps in a fresh SOAP app (state, clock,
sessions) for each test. A test module uses them with
`from .sandbox_soap_client import sandbox, server`.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

import httpx
import pytest
from lxml import etree
from starlette.applications import Starlette
from starlette.routing import Mount

from episerver_assets.sandbox.http import BackgroundHttpServer
from episerver_assets.sandbox.soap_app import build_soap_app
from episerver_assets.sandbox.state import ClientAccount, ClientState, ListField, RecipientList, SandboxState

CLIENT_ID, API_USER, API_PASSWORD = 1000, "sandbox-api", "sandbox-secret"
LIST_ID = 4711
TTL = 60.0
SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAPENC = "http://schemas.xmlsoap.org/soap/encoding/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
SAFE_PARSER = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)


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
    """The operation's return value, following multiRef references; None for void and for xsi:nil."""
    body = etree.fromstring(xml, SAFE_PARSER).find(f"{{{SOAPENV}}}Body")
    refs = {e.get("id"): e for e in body if e.get("id") is not None}
    converters = {"xsd:int": int, "xsd:long": int, "xsd:boolean": lambda text: text == "true"}

    def value(element):
        if (href := element.get("href")) is not None:
            element = refs[href.removeprefix("#")]
        if element.get(f"{{{XSI}}}nil") == "true":
            return None
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
