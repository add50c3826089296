"""The client's blocklist and mailing calls against the sandbox over HTTP, REST beside SOAP on one state."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from episerver_assets.campaign.errors import CampaignSoapFault
from episerver_assets.campaign.soap import CampaignSoapClient, SendMailCode, SoapSettings
from episerver_assets.sandbox.faults import FaultSwitch
from episerver_assets.sandbox.http import BackgroundHttpServer
from episerver_assets.sandbox.rest_app import build_rest_app
from episerver_assets.sandbox.soap_app import build_soap_app
from episerver_assets.sandbox.state import ClientAccount, ClientState, ListField, RecipientList, SandboxState

from .scripted_soap_server import no_sleep_policy

CLIENT_ID, USER, PASSWORD = 1000, "sandbox-api", "sandbox-secret"
LIST_ID, TEST_LIST = 777, 778


@dataclass
class Running:
    state: ClientState
    soap: CampaignSoapClient
    rest: httpx.Client


@pytest.fixture
def running() -> Iterator[Running]:
    state = SandboxState([ClientAccount(CLIENT_ID, USER, PASSWORD)])
    client = state.client(CLIENT_ID)
    for list_id in (LIST_ID, TEST_LIST):
        client.lists[list_id] = RecipientList(list_id, f"list {list_id}", "", [ListField("email")])
    app = Starlette(
        routes=[Mount("/soap11", build_soap_app(state)), Mount("/rest", build_rest_app(state, FaultSwitch()))]
    )
    with BackgroundHttpServer(app) as server:
        settings = SoapSettings(f"{server.base_url}/soap11", CLIENT_ID, USER, PASSWORD, retry=no_sleep_policy())
        with (
            CampaignSoapClient(settings) as soap,
            httpx.Client(base_url=f"{server.base_url}/rest/{CLIENT_ID}", auth=(USER, PASSWORD), timeout=10) as rest,
        ):
            yield Running(client, soap, rest)


def test_blocklist_round_trip_with_patterns_agrees_with_rest(running: Running):
    blocklist = running.soap.blocklist
    blocklist.add("*@example.com", "competitor")
    blocklist.add_all({"x@y.de": "typo", "a?@third.net": None})
    created = running.rest.post("/blacklistentries", data={"entry": "rest@shop.test", "reason": "rest"})
    assert created.status_code == 201

    assert blocklist.entries() == ["*@example.com", "x@y.de", "a?@third.net", "rest@shop.test"]
    assert blocklist.count() == 4
    assert blocklist.contains("*@EXAMPLE.com") and not blocklist.contains("bob@example.com")
    assert blocklist.is_blocklisted("bob@example.com") and blocklist.is_blocklisted("rest@shop.test")
    assert blocklist.contains_all(["x@y.de", "nope@y.de"]) == [True, False]
    assert blocklist.are_blocklisted(["ab@third.net", "abc@third.net"]) == [True, False]
    assert blocklist.first_matching_entry("bob@example.com") == "*@example.com"
    assert blocklist.first_matching_entry("nobody@else.org") is None
    assert blocklist.reason("*@example.com") == "competitor"
    assert blocklist.reason("a?@third.net") is None

    blocklist.remove("*@example.com")
    blocklist.remove_all(["x@y.de", "rest@shop.test"])

    listed = running.rest.get("/blacklistentries").json()["elements"]
    assert [e["pattern"] for e in listed] == blocklist.entries() == ["a?@third.net"]
    assert not blocklist.is_blocklisted("bob@example.com")


def test_blocklist_fault_is_typed_and_masks_the_address(running: Running):
    with pytest.raises(CampaignSoapFault) as caught:
        running.soap.blocklist.reason("secret.person@example.com")
    assert caught.value.fault_code == "soapenv:Server.userException"
    assert "does not exist for call: pattern=" in caught.value.message
    assert "secret.person" not in str(caught.value)


def test_mailings_ids_names_lists_and_send_mail_codes(running: Running):
    state = running.state
    state.add_recipient(LIST_ID, "a@example.com", {"email": "a@example.com"})
    state.add_recipient(LIST_ID, "gone@example.com", {"email": "gone@example.com"})
    state.unsubscribe("gone@example.com")
    welcome = state.create_mailing("event", "Welcome", [LIST_ID], mime_type="text/html",
                                   sender_email_prefix="news", sender_name="Shop", charset="UTF-8")
    news = state.create_mailing("regular", "News", [LIST_ID, TEST_LIST], mime_type="text/plain",
                                sender_email_prefix="news", sender_name="Shop", charset="UTF-8")
    mailings = running.soap.mailings

    assert mailings.ids("event") == [welcome.mailing_id]
    assert mailings.ids("regular", status="NEW") == [news.mailing_id]
    assert mailings.ids("regular", status="DONE") == []
    assert mailings.count("regular") == 1
    assert mailings.name(welcome.mailing_id) == "Welcome"
    assert mailings.status(welcome.mailing_id) == "NEW"
    assert mailings.recipient_list_ids(news.mailing_id) == [LIST_ID, TEST_LIST]
    mailings.set_recipient_list_ids(news.mailing_id, [TEST_LIST])
    assert mailings.recipient_list_ids(news.mailing_id) == [TEST_LIST]

    assert mailings.send_mail(welcome.mailing_id, LIST_ID, "a@example.com") is SendMailCode.SPOOLED
    assert mailings.send_mails(welcome.mailing_id, LIST_ID, ["gone@example.com", "nobody@example.com"]) == [
        SendMailCode.UNSUBSCRIBED,
        SendMailCode.RECIPIENT_NOT_FOUND,
    ]
    assert mailings.send_mail(welcome.mailing_id, TEST_LIST, "a@example.com") is SendMailCode.LIST_NOT_ASSIGNED
    assert [r for _, r, _ in state.mailings[welcome.mailing_id].sends] == ["a@example.com"]
    with pytest.raises(CampaignSoapFault, match="only event mailings can be sent"):
        mailings.send_mail(news.mailing_id, TEST_LIST, "a@example.com")
