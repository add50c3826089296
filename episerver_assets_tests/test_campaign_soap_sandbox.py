"""The Campaign SOAP client against the real sandbox SOAP app over HTTP on 127.0.0.1: round trips."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import dagster as dg
import pytest
import requests
from lxml import etree
from starlette.applications import Starlette
from starlette.routing import Mount

from episerver_assets.campaign.errors import CampaignSessionExpired, CampaignSoapFault
from episerver_assets.campaign.soap import (
    AddAll3Code,
    CampaignSoapClient,
    CampaignSoapResource,
    OfflineTransport,
    RecipientRecord,
    SoapSettings,
)
from episerver_assets.sandbox.http import BackgroundHttpServer
from episerver_assets.sandbox.soap_app import build_soap_app
from episerver_assets.sandbox.state import ClientAccount, ListField, RecipientList, SandboxState

from .scripted_soap_server import SOAPENV, no_sleep_policy

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
        assert client.get_attribute_names(LIST_ID, "de")[:4] == ["email", "first_name", "city", "Erstellt am"]
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
        assert client.get_attribute_names(LIST_ID)[:4] == ["email", "first_name", "city", "Created on"]
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
    assert result.output_for_node("attribute_names")[:3] == ["email", "first_name", "city"]
