"""The Campaign SOAP client: bytes on the wire, batching and codes, sessions, errors, the resource.

Two kinds of server: `ScriptedServer`, a zeep transport that records every posted envelope and
answers in the Axis style of the recordings (for exact wire assertions and failures the sandbox
cannot produce), and the real sandbox SOAP app over HTTP on 127.0.0.1 (for round trips).
"""

from __future__ import annotations

import itertools
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import dagster as dg
import pytest
import requests
from lxml import etree
from starlette.applications import Starlette
from starlette.routing import Mount

from episerver_assets.campaign.errors import (
    CampaignConfigError,
    CampaignConnectionError,
    CampaignError,
    CampaignNotFound,
    CampaignServerError,
    CampaignSessionExpired,
    CampaignSoapFault,
)
from episerver_assets.campaign.retry import RetryPolicy
from episerver_assets.campaign.soap import (
    AddAll3Code,
    CampaignSoapClient,
    CampaignSoapResource,
    OfflineTransport,
    RecipientRecord,
    SoapSettings,
)
from episerver_assets.campaign.soap.wsdl import SERVICES, load_service
from episerver_assets.sandbox.http import BackgroundHttpServer
from episerver_assets.sandbox.soap_app import build_soap_app
from episerver_assets.sandbox.state import ClientAccount, ListField, RecipientList, SandboxState

SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAPENC = "http://schemas.xmlsoap.org/soap/encoding/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PASSWORD = "s3cret&pässword"
SOAP_URL = "https://campaign.example/soap11"
INVALID_SESSION = "Invalid session: the session has expired or does not exist. Please login again."


def no_sleep_policy(attempts: int = 3, slept: list[float] | None = None) -> RetryPolicy:
    record = slept.append if slept is not None else (lambda seconds: None)
    return RetryPolicy(max_attempts=attempts, base_delay=0.01, random=lambda: 1.0, sleep=record)


def settings(batch_size: int = 1000, policy: RetryPolicy | None = None, url: str = SOAP_URL) -> SoapSettings:
    return SoapSettings(url, 1000, "api-user", PASSWORD, batch_size=batch_size, retry=policy or no_sleep_policy())


# --- a scripted server at the transport boundary --------------------------------------------------


def axis_reply(service: str, operation: str, result: str = "", refs: str = "") -> tuple[int, bytes]:
    """A 200 reply shaped like the recorded ones (soapenc wrappers, multiRef for numbers)."""
    body = (
        f'<ns1:{operation}Response soapenv:encodingStyle="{SOAPENC}" '
        f'xmlns:ns1="urn:api.broadmail.de/soap11/{service}">{result}</ns1:{operation}Response>{refs}'
    )
    return 200, _envelope(body)


def axis_fault(message: str) -> tuple[int, bytes]:
    body = (
        "<soapenv:Fault><faultcode>soapenv:Server.userException</faultcode><faultstring>"
        f"broadmail.api.soap11.impl.WebserviceImplException: {message}</faultstring></soapenv:Fault>"
    )
    return 500, _envelope(body)


def _envelope(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
        f'xmlns:soapenv="{SOAPENV}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="{XSI}">'
        f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    ).encode()


def login_reply(session_id: str) -> tuple[int, bytes]:
    value = f'<loginReturn xsi:type="soapenc:string" xmlns:soapenc="{SOAPENC}">{session_id}</loginReturn>'
    return axis_reply("RpcSession", "login", value)


def int_array_reply(service: str, operation: str, values: list[int], xsd_type: str = "int") -> tuple[int, bytes]:
    refs = "".join(f'<{operation}Return href="#id{i}"/>' for i in range(len(values)))
    array = (
        f'<{operation}Return soapenc:arrayType="xsd:{xsd_type}[{len(values)}]" xsi:type="soapenc:Array" '
        f'xmlns:soapenc="{SOAPENC}">{refs}</{operation}Return>'
    )
    multirefs = "".join(
        f'<multiRef id="id{i}" soapenc:root="0" soapenv:encodingStyle="{SOAPENC}" xsi:type="xsd:{xsd_type}" '
        f'xmlns:soapenc="{SOAPENC}">{v}</multiRef>'
        for i, v in enumerate(values)
    )
    return axis_reply(service, operation, array, multirefs)


def scalar_reply(service: str, operation: str, xsd_type: str, text: str) -> tuple[int, bytes]:
    return axis_reply(
        service, operation, f'<{operation}Return href="#id0"/>',
        f'<multiRef id="id0" soapenc:root="0" soapenv:encodingStyle="{SOAPENC}" xsi:type="xsd:{xsd_type}" '
        f'xmlns:soapenc="{SOAPENC}">{text}</multiRef>',
    )


@dataclass
class Posted:
    address: str
    service: str
    operation: str
    call: etree._Element
    raw: bytes

    def arg(self, index: int) -> etree._Element:
        return self.call.find(f"in{index}")


Handler = Callable[[Posted], "tuple[int, bytes] | tuple[int, bytes, dict[str, str]] | Exception"]


class ScriptedServer(OfflineTransport):
    """Records each posted envelope and answers with `handler(posted)` (or raises what it returns)."""

    def __init__(self, handler: Handler):
        super().__init__(connect_timeout=1.0, read_timeout=1.0)
        self.handler = handler
        self.posted: list[Posted] = []

    def post(self, address: str, message: bytes, headers: dict[str, str]) -> requests.Response:
        call = etree.fromstring(message).find(f"{{{SOAPENV}}}Body")[0]
        posted = Posted(address, address.rsplit("/", 1)[1], etree.QName(call).localname, call, message)
        self.posted.append(posted)
        answer = self.handler(posted)
        if isinstance(answer, Exception):
            raise answer
        status, body, *headers = answer
        reply = requests.Response()
        reply.status_code, reply._content, reply.url = status, body, address
        reply.headers["Content-Type"] = "text/xml;charset=utf-8" if body.startswith(b"<?xml") else "text/html"
        reply.headers.update(*headers)
        return reply

    def operations(self) -> list[str]:
        return [p.operation for p in self.posted]

    def of(self, operation: str) -> list[Posted]:
        return [p for p in self.posted if p.operation == operation]


def default_handler(posted: Posted) -> tuple[int, bytes]:
    if posted.operation == "login":
        return login_reply("0123456789abcdef")
    if posted.operation == "addAll3":
        return int_array_reply("RpcRecipient", "addAll3", [0] * len(posted.arg(3)))
    return axis_reply(posted.service, posted.operation)


def scripted(handler: Handler = default_handler, **kwargs) -> tuple[CampaignSoapClient, ScriptedServer]:
    server = ScriptedServer(handler)
    return CampaignSoapClient(settings(**kwargs), server), server


# --- loading the WSDLs ----------------------------------------------------------------------------


def test_every_packaged_wsdl_loads_offline_and_points_at_soap_url():
    transport = OfflineTransport(1.0, 1.0)
    for name in SERVICES:
        loaded = load_service(name, "http://127.0.0.1:9/soap11/", transport)
        assert loaded.address == f"http://127.0.0.1:9/soap11/{name}"
        assert loaded.binding.name.localname == f"{name}SoapBinding"


def test_transport_serves_the_encoding_schema_and_refuses_other_downloads():
    transport = OfflineTransport(1.0, 1.0)
    schema = etree.fromstring(transport.load("http://schemas.xmlsoap.org/soap/encoding/"))
    assert schema.get("targetNamespace") == SOAPENC
    assert schema.find("{http://www.w3.org/2001/XMLSchema}complexType[@name='Array']") is not None
    with pytest.raises(CampaignConfigError, match="refusing to fetch"):
        transport.load("https://example.com/other.xsd")


def test_calls_go_to_the_service_endpoint_under_soap_url():
    client, server = scripted()
    client.get_attribute_names(7, "de")
    assert [p.address for p in server.posted] == [f"{SOAP_URL}/RpcSession", f"{SOAP_URL}/RpcRecipientList"]
    assert server.posted[1].call.tag == "{urn:api.broadmail.de/soap11/RpcRecipientList}getAttributeNames"
    assert [a.text for a in server.posted[1].call] == ["0123456789abcdef", "7", "de"]


# --- addAll3 on the wire --------------------------------------------------------------------------

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


# --- the other operations -------------------------------------------------------------------------


def test_unsubscribe_calls_and_replies():
    def handler(posted: Posted):
        if posted.operation == "login":
            return login_reply("abcabcabcabcabca")
        if posted.operation == "contains":
            return scalar_reply("RpcUnsubscribe", "contains", "boolean", "true")
        if posted.operation == "getCount":
            return scalar_reply("RpcUnsubscribe", "getCount", "int", "17")
        return axis_reply(posted.service, posted.operation)

    client, server = scripted(handler)
    assert client.add_unsubscribe("a@b.de", list_id=12) is None
    assert client.is_unsubscribed("a@b.de") is True
    assert client.remove_unsubscribe("a@b.de") is None
    assert client.count_unsubscribes() == 17
    sent = {p.operation: [a.text for a in p.call] for p in server.posted if p.service == "RpcUnsubscribe"}
    session = "abcabcabcabcabca"
    assert sent == {
        "add": [session, "12", "a@b.de"], "contains": [session, "a@b.de"],
        "remove": [session, "a@b.de"], "getCount": [session],
    }


def test_clear_check_login_and_close_manage_their_sessions():
    logins = itertools.count(1)

    def handler(posted: Posted):
        if posted.operation == "login":
            return login_reply(f"session-{next(logins)}")
        return axis_reply(posted.service, posted.operation)

    client, server = scripted(handler)
    client.clear(31)
    client.check()  # its own session: the held one stays
    client.clear(32)
    client.login()  # replaces the held session and logs the old one out
    client.close()
    assert [(p.operation, p.arg(0).text) for p in server.posted] == [
        ("login", "1000"), ("clear", "session-1"),
        ("login", "1000"), ("logout", "session-2"),
        ("clear", "session-1"),
        ("login", "1000"), ("logout", "session-1"),
        ("logout", "session-3"),
    ]
    assert server.of("clear")[0].arg(1).text == "31"


# --- sessions -------------------------------------------------------------------------------------


def test_login_is_lazy_and_the_session_is_reused():
    client, server = scripted()
    assert server.posted == []
    client.clear(1)
    client.get_attribute_names(1)
    assert server.operations() == ["login", "clear", "getAttributeNames"]
    login = server.of("login")[0]
    assert [a.text for a in login.call] == ["1000", "api-user", PASSWORD]


def _sessions_expire(times: int) -> Handler:
    """Logins hand out s1, s2, ...; the first `times` session-bound calls fail as expired."""
    counter = itertools.count(1)
    failures = itertools.count()

    def handler(posted: Posted):
        if posted.operation == "login":
            return login_reply(f"session{next(counter):09d}")
        if next(failures) < times:
            return axis_fault(INVALID_SESSION)
        return int_array_reply("RpcRecipient", "addAll3", [0] * len(posted.arg(3)))

    return handler


def test_expired_session_logs_in_once_more_and_retries(caplog):
    caplog.set_level(logging.INFO)
    client, server = scripted(_sessions_expire(1))
    summary = client.add_all3(3, [RecipientRecord("a", "a@x.de")], ["email"])
    assert summary.added == 1
    assert server.operations() == ["login", "addAll3", "login", "addAll3"]
    first, retry = server.of("addAll3")
    assert first.arg(0).text == "session000000001" and retry.arg(0).text == "session000000002"
    assert first.raw.replace(b"session000000001", b"session000000002") == retry.raw
    warning = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warning) == 1
    assert "RpcRecipient.addAll3" in warning[0].getMessage()
    assert "Invalid session" in warning[0].getMessage()


def test_a_second_session_failure_in_a_row_is_raised():
    client, server = scripted(_sessions_expire(2))
    with pytest.raises(CampaignSessionExpired, match="Invalid session"):
        client.add_all3(3, [RecipientRecord("a", "a@x.de")], ["email"])
    assert server.operations() == ["login", "addAll3", "login", "addAll3"]


def test_wrong_credentials_raise_a_fault_without_retry_or_secret(caplog):
    caplog.set_level(logging.DEBUG)

    def handler(posted: Posted):
        return axis_fault("Invalid credentials.")

    client, server = scripted(handler)
    with pytest.raises(CampaignSoapFault) as caught:
        client.clear(1)
    assert not isinstance(caught.value, CampaignSessionExpired)
    assert caught.value.message == "Invalid credentials." and caught.value.operation == "login"
    assert server.operations() == ["login"]
    assert PASSWORD not in str(caught.value) and PASSWORD not in caplog.text


# --- transport failures and retries ---------------------------------------------------------------


def _failing(operation: str, failures: list[object]) -> Handler:
    pending = list(failures)

    def handler(posted: Posted):
        if posted.operation == "login":
            return login_reply("abcabcabcabcabca")
        if posted.operation == operation and pending:
            return pending.pop(0)
        if operation == "getAttributeNames":
            body = f'<getAttributeNamesReturn soapenc:arrayType="soapenc:string[1]" xsi:type="soapenc:Array" ' \
                   f'xmlns:soapenc="{SOAPENC}"><item xsi:type="soapenc:string">email</item></getAttributeNamesReturn>'
            return axis_reply("RpcRecipientList", "getAttributeNames", body)
        return int_array_reply("RpcRecipient", "addAll3", [0])

    return handler


def test_read_timeout_is_retried_for_reads():
    slept: list[float] = []
    client, server = scripted(_failing("getAttributeNames", [requests.ReadTimeout("slow")]),
                              policy=no_sleep_policy(3, slept))
    assert client.get_attribute_names(1) == ["email"]
    assert server.operations() == ["login", "getAttributeNames", "getAttributeNames"]
    assert len(slept) == 1


def test_read_timeout_of_add_all3_is_not_repeated():
    client, server = scripted(_failing("addAll3", [requests.ReadTimeout("slow")]))
    with pytest.raises(CampaignConnectionError) as caught:
        client.add_all3(1, [RecipientRecord("a", "a@x.de")], [])
    assert caught.value.effect_unknown is True
    assert server.operations() == ["login", "addAll3"]


def test_proxy_errors_are_retried_then_typed():
    page = (503, b"<html><body>Service Unavailable</body></html>")
    client, server = scripted(_failing("getAttributeNames", [page] * 5), policy=no_sleep_policy(3))
    with pytest.raises(CampaignServerError) as caught:
        client.get_attribute_names(1)
    assert caught.value.status == 503
    assert server.operations().count("getAttributeNames") == 3


def test_throttled_add_all3_is_repeated_after_retry_after():
    slept: list[float] = []
    throttled = (429, b"", {"Retry-After": "2"})
    client, server = scripted(_failing("addAll3", [throttled]), policy=no_sleep_policy(3, slept))
    assert client.add_all3(1, [RecipientRecord("a", "a@x.de")], []).added == 1
    assert server.operations() == ["login", "addAll3", "addAll3"]
    assert slept == [2.0]


def test_wrong_url_is_not_found_without_retry():
    client, server = scripted(lambda posted: (404, b"<html>Not Found</html>"))
    with pytest.raises(CampaignNotFound):
        client.login()
    assert server.operations() == ["login"]


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_refused_connection_is_retried_and_reported(closed_port):
    slept: list[float] = []
    policy = no_sleep_policy(3, slept)
    client = CampaignSoapClient(settings(policy=policy, url=f"http://127.0.0.1:{closed_port}/soap11"))
    with pytest.raises(CampaignConnectionError) as caught:
        client.add_all3(1, [RecipientRecord("a", "a@x.de")], [])
    assert caught.value.effect_unknown is False
    assert len(slept) == 2
    assert PASSWORD not in str(caught.value)


# --- the resource ---------------------------------------------------------------------------------


def test_resource_defaults_point_at_the_sandbox():
    resource = CampaignSoapResource.from_env({})
    resolved = resource.settings()
    assert resolved.soap_url == "http://127.0.0.1:8765/soap11"
    assert (resolved.client_id, resolved.api_user, resolved.api_password) == (1000, "sandbox-api", "sandbox-secret")
    assert "sandbox-secret" not in repr(resource) and "sandbox-secret" not in repr(resolved)


def test_resource_reads_the_environment(monkeypatch):
    env = {
        "EPISERVER_SOAP_URL": "https://api.campaign.episerver.net/soap11",
        "EPISERVER_CLIENT_ID": "4321",
        "EPISERVER_API_USER": "crm",
        "EPISERVER_API_PASSWORD": "from-env",
        "EPISERVER_SOAP_BATCH_SIZE": "250",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    resource = CampaignSoapResource.from_env()
    assert isinstance(resource.api_password, dg.EnvVar)
    resolved = resource.settings()
    assert (resolved.soap_url, resolved.client_id, resolved.api_user, resolved.api_password, resolved.batch_size) == (
        "https://api.campaign.episerver.net/soap11", 4321, "crm", "from-env", 250
    )


def test_settings_are_validated():
    with pytest.raises(ValueError, match="batch_size"):
        SoapSettings(SOAP_URL, 1, "u", "p", batch_size=0)
    with pytest.raises(ValueError, match="soap_url"):
        SoapSettings("ftp://x", 1, "u", "p")
    with pytest.raises(ValueError, match="client_id"):
        CampaignSoapResource(client_id="abc").settings()


# --- against the sandbox over HTTP ----------------------------------------------------------------

LIST_ID = 777
SANDBOX_USER, SANDBOX_PASSWORD = "sandbox-api", "sandbox-secret"


class ManualClock:
    """The sandbox's session clock; tests move it instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.step = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            self.now += self.step
            return self.now


class CountingTransport(OfflineTransport):
    """The real transport, noting which operations it posted."""

    def __init__(self) -> None:
        super().__init__(connect_timeout=5.0, read_timeout=10.0)
        self.operations: list[str] = []

    def post(self, address: str, message: bytes, headers: dict[str, str]) -> requests.Response:
        call = etree.fromstring(message).find(f"{{{SOAPENV}}}Body")[0]
        self.operations.append(etree.QName(call).localname)
        return super().post(address, message, headers)


@dataclass
class Sandbox:
    state: SandboxState
    clock: ManualClock
    soap_url: str
    transports: list[CountingTransport] = field(default_factory=list)

    def client(self, password: str = SANDBOX_PASSWORD, batch_size: int = 1000) -> CampaignSoapClient:
        transport = CountingTransport()
        self.transports.append(transport)
        return CampaignSoapClient(
            SoapSettings(self.soap_url, 1000, SANDBOX_USER, password, batch_size=batch_size,
                         retry=no_sleep_policy()),
            transport,
        )


SESSION_TTL = 1200.0


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    state = SandboxState([ClientAccount(1000, SANDBOX_USER, SANDBOX_PASSWORD)])
    state.client(1000).lists[LIST_ID] = RecipientList(
        LIST_ID, "crm", "CRM full refresh", [ListField("email"), ListField("first_name"), ListField("city")]
    )
    clock = ManualClock()
    app = Starlette(routes=[Mount("/soap11", build_soap_app(state, SESSION_TTL, clock=clock))])
    with BackgroundHttpServer(app) as server:
        yield Sandbox(state, clock, f"{server.base_url}/soap11")


def test_sandbox_login_check_and_list_metadata(sandbox: Sandbox):
    with sandbox.client() as client:
        session_id = client.login()
        assert len(session_id) == 16 and int(session_id, 16) >= 0
        assert client.get_list_ids() == [LIST_ID]
        assert client.get_attribute_names(LIST_ID, "de") == ["email", "first_name", "city"]
    assert sandbox.transports[0].operations == ["login", "getAllIds", "getAttributeNames", "logout"]
    result = CampaignSoapResource(soap_url=sandbox.soap_url).check()
    assert result.client_id == 1000 and result.session_url == f"{sandbox.soap_url}/RpcSession"


def test_sandbox_clear_and_add_all3_round_trip_with_every_code(sandbox: Sandbox):
    client_state = sandbox.state.client(1000)
    client_state.add_blocklist_entry("blocked@example.com", "test")
    for _ in range(3):
        client_state.record_bounce("bouncy@example.com", "hardbounce")
    names = ["first_name", "city"]
    with sandbox.client(batch_size=2) as client:
        assert client.add_all3(LIST_ID, [RecipientRecord("old@example.com", "old@example.com")], names).added == 1
        client.clear(LIST_ID)
        assert client.get_all_flat(LIST_ID, ["email"]) == []
        client.add_unsubscribe("unsub@example.com")
        assert client.is_unsubscribed("unsub@example.com") is True

        records = [
            RecipientRecord("jörg@example.de", "jörg@example.de", {"first_name": 'Jörg "J" & Söhne', "city": "Köln; Süd"}),
            RecipientRecord("broken", "not-an-address", {"first_name": "x"}),
            RecipientRecord("unsub@example.com", "unsub@example.com"),
            RecipientRecord("blocked@example.com", "blocked@example.com"),
            RecipientRecord("bouncy@example.com", "bouncy@example.com"),
            RecipientRecord("jörg@example.de", "jörg@example.de", {"first_name": "again"}),
        ]
        summary = client.add_all3(LIST_ID, records, names)

        assert summary.batches == 3
        assert {code: n for code, n in summary.counts.items() if n} == {
            AddAll3Code.ADDED: 1, AddAll3Code.INVALID_ADDRESS: 1, AddAll3Code.UNSUBSCRIBED: 1,
            AddAll3Code.BLOCKLISTED: 1, AddAll3Code.TOO_MANY_BOUNCES: 1, AddAll3Code.ALREADY_IN_LIST: 1,
        }
        assert {code: ids for code, ids in summary.recipient_ids.items() if ids} == {
            AddAll3Code.INVALID_ADDRESS: ["broken"],
            AddAll3Code.UNSUBSCRIBED: ["unsub@example.com"],
            AddAll3Code.BLOCKLISTED: ["blocked@example.com"],
            AddAll3Code.TOO_MANY_BOUNCES: ["bouncy@example.com"],
            AddAll3Code.ALREADY_IN_LIST: ["jörg@example.de"],
        }
        assert client.get_all_flat(LIST_ID, ["email", "first_name", "city"]) == [
            ["jörg@example.de", 'Jörg "J" & Söhne', "Köln; Süd"]
        ]
        assert client.count_unsubscribes() == 1
        client.remove_unsubscribe("unsub@example.com")
        assert client.is_unsubscribed("unsub@example.com") is False
    assert set(client_state.lists[LIST_ID].recipients) == {"jörg@example.de"}
    assert sandbox.transports[0].operations.count("login") == 1


def test_sandbox_expired_session_relogin_and_retry(sandbox: Sandbox, caplog):
    caplog.set_level(logging.INFO)
    with sandbox.client() as client:
        client.login()
        sandbox.clock.now += SESSION_TTL + 1
        assert client.get_attribute_names(LIST_ID) == ["email", "first_name", "city"]
    assert sandbox.transports[0].operations == [
        "login", "getAttributeNames", "login", "getAttributeNames", "logout"
    ]
    reasons = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(reasons) == 1 and "Invalid session" in reasons[0] and "retrying once" in reasons[0]


def test_sandbox_session_that_keeps_expiring_is_raised(sandbox: Sandbox):
    sandbox.clock.step = SESSION_TTL  # every clock reading is a whole TTL later
    with sandbox.client() as client:
        with pytest.raises(CampaignSessionExpired):
            client.clear(LIST_ID)
    assert sandbox.transports[0].operations[:4] == ["login", "clear", "login", "clear"]


def test_sandbox_wrong_credentials(sandbox: Sandbox):
    with sandbox.client(password="wrong-password") as client:
        with pytest.raises(CampaignSoapFault) as caught:
            client.get_list_ids()
    assert caught.value.message == "Invalid credentials."
    assert not isinstance(caught.value, CampaignSessionExpired)
    assert sandbox.transports[0].operations == ["login"]
    assert "wrong-password" not in str(caught.value)


def test_resource_from_env_inside_a_dagster_run(sandbox: Sandbox, monkeypatch):
    monkeypatch.setenv("EPISERVER_SOAP_URL", sandbox.soap_url)
    monkeypatch.setenv("EPISERVER_API_PASSWORD", SANDBOX_PASSWORD)

    @dg.asset
    def attribute_names(soap: CampaignSoapResource) -> list[str]:
        with soap.client() as client:
            return client.get_attribute_names(LIST_ID)

    result = dg.materialize([attribute_names], resources={"soap": CampaignSoapResource.from_env()})
    assert result.success
    assert result.output_for_node("attribute_names") == ["email", "first_name", "city"]
