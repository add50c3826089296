"""A second, independent SOAP client (suds) calls every implemented operation through the served WSDLs.

Our own client is zeep with hand-built arrays; suds reads the WSDLs the sandbox serves, marshals
rpc/encoded by itself and parses the answers by itself, so the sandbox cannot drift towards what one
client happens to accept. Each test names the service it covers and fails if it did not call every
operation the sandbox implements for that service (`SERVICES`).

No network: the WSDLs import the SOAP-encoding schema by namespace only; `ImportDoctor` binds it to
the copy suds ships in its document store, and the transport refuses any host but the sandbox's.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from lxml import etree
from suds import WebFault
from suds.client import Client
from suds.plugin import MessagePlugin
from suds.transport.http import HttpTransport
from suds.xsd.doctor import Import, ImportDoctor

from episerver_assets.sandbox.soap.services import SERVICES
from episerver_assets.sandbox.state import ListField, RecipientList, TargetGroup

from .sandbox_soap_client import API_PASSWORD, API_USER, CLIENT_ID, LIST_ID, SOAPENV, TTL, seed_two
from .sandbox_soap_client import sandbox, server  # noqa: F401  (pytest fixtures; sandbox needs server)

SOAP_ENCODING = "http://schemas.xmlsoap.org/soap/encoding/"
OTHER_LIST = 12


class SandboxOnly(HttpTransport):
    """suds' own HTTP transport, refusing every host but the sandbox's loopback address."""

    def open(self, request):
        self._check(request.url)
        return super().open(request)

    def send(self, request):
        self._check(request.url)
        return super().send(request)

    @staticmethod
    def _check(url: str) -> None:
        if urlsplit(url).hostname != "127.0.0.1":
            raise AssertionError(f"suds tried to reach {url}: the WSDLs must resolve locally")


class OperationLog(MessagePlugin):
    """Notes the operation of every envelope suds sends."""

    def __init__(self) -> None:
        self.called: set[str] = set()

    def sending(self, context):
        body = etree.fromstring(context.envelope).find(f"{{{SOAPENV}}}Body")
        self.called.add(etree.QName(body[0]).localname)


class Suds:
    """One suds client per service, built from the WSDL the sandbox serves."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.log = OperationLog()
        self._clients: dict[str, Client] = {}

    def __getitem__(self, service: str):
        if service not in self._clients:
            self._clients[service] = Client(
                f"{self.base_url}/soap11/{service}?wsdl",
                transport=SandboxOnly(),
                doctor=ImportDoctor(Import(SOAP_ENCODING)),
                plugins=[self.log],
                cache=None,
                timeout=10,
            )
        return self._clients[service].service

    def factory(self, service: str):
        self[service]  # builds the client
        return self._clients[service].factory

    def login(self) -> str:
        return self["RpcSession"].login(CLIENT_ID, API_USER, API_PASSWORD)

    def assert_covered(self, service: str) -> None:
        missing = set(SERVICES[service]) - self.log.called
        assert not missing, f"{service}: implemented but not called through suds: {sorted(missing)}"


@pytest.fixture
def suds(sandbox) -> Suds:
    return Suds(sandbox.base_url)


def faultstring(caught: pytest.ExceptionInfo[WebFault]) -> str:
    return caught.value.fault.faultstring


def test_session(sandbox, suds):
    session = suds.login()
    assert len(session) == 16

    with pytest.raises(WebFault) as bad:
        suds["RpcSession"].login(CLIENT_ID, API_USER, "wrong")
    assert suds["RpcSession"].logout(session) is None
    with pytest.raises(WebFault) as after_logout:
        suds["RpcRecipientList"].getAllIds(session)
    expiring = suds.login()
    sandbox.clock.advance(TTL)
    with pytest.raises(WebFault) as expired:
        suds["RpcRecipientList"].getAllIds(expiring)

    assert faultstring(bad) == "broadmail.api.soap11.impl.WebserviceImplException: Invalid credentials."
    assert bad.value.fault.faultcode == "soapenv:Server.userException"
    assert "Invalid session" in faultstring(after_logout) and "Invalid session" in faultstring(expired)
    suds.assert_covered("RpcSession")


def string_matrix(suds: Suds, rows: list[list[str]]):
    """A String[][] as suds needs it: typed inner arrays (plain nested lists find no item type)."""
    factory = suds.factory("RpcRecipient")
    matrix = factory.create("ArrayOfArrayOf_xsd_string")
    matrix.item = []
    for row in rows:
        array = factory.create("ArrayOf_xsd_string")
        array.item = row
        matrix.item.append(array)
    return matrix


def test_recipient(sandbox, suds):
    session, recipient = suds.login(), suds["RpcRecipient"]
    names = ["first_name", "last_name"]
    addresses = ["a@example.com", "bad", "c@example.com"]
    sandbox.client.add_blocklist_entry("*@blocked.test")

    codes = recipient.addAll3(session, LIST_ID, 0, addresses, addresses, names, string_matrix(suds, [
        ["Ann", "A"], ["Bad", "B"], ["Cid", "C"],
    ]))
    flat_codes = recipient.addAll3Flat(session, LIST_ID, 0, ["x@blocked.test"], ["x@blocked.test"], names, ["X", "Y"])
    single = recipient.add2(session, LIST_ID, 0, "d@example.com", "d@example.com", ["first_name"], ["Dan"])

    assert (codes, flat_codes, single) == ([0, 1, 0], [3], 0)
    assert recipient.getCount(session, LIST_ID, 0) == 3
    assert recipient.contains(session, LIST_ID, "a@example.com") is True
    # d@example.com never got a last name: nil on the wire, None in suds (not "").
    assert recipient.getAttributes(session, LIST_ID, "d@example.com", ["first_name", "last_name"]) == ["Dan", None]

    recipient.setAttributes(session, LIST_ID, "a@example.com", ["last_name"], ["Smith"])
    recipient.setAttributesInBatchFlat(
        session, LIST_ID, ["c@example.com", "d@example.com"], ["last_name"], ["Cole", "Dent"]
    )
    with pytest.raises(WebFault) as missing:
        recipient.setAttributesInBatchFlat(session, LIST_ID, ["nobody@example.com"], ["last_name"], ["N"])
    recipient.remove(session, LIST_ID, "c@example.com")

    assert recipient.getAllFlat(session, LIST_ID, ["email", "last_name"]) == [
        "a@example.com", "Smith", "d@example.com", "Dent",
    ]
    assert faultstring(missing) == (
        f"broadmail.api.soap11.impl.WebserviceImplException: [{session},{CLIENT_ID},{API_USER}] "
        f"Error updating users in userlist #{LIST_ID} for call: recipientListId='{LIST_ID}', "
        "recipientIds='nobody@example.com', attributeNames=[last_name] attributeNamesSize=1 "
        f"flatAttributeValuesSize=1; caused by: [{session},{CLIENT_ID},{API_USER}] Recipients "
        f"nobody@example.com do not exist for call: recipientListId='{LIST_ID}', "
        "recipientIds='nobody@example.com', attributeNames=[last_name] attributeNamesSize=1 flatAttributeValuesSize=1"
    )
    recipient.clear(session, LIST_ID)
    assert recipient.getCount(session, LIST_ID, 0) == 0
    suds.assert_covered("RpcRecipient")


def test_recipient_list(sandbox, suds):
    sandbox.client.lists[OTHER_LIST] = RecipientList(OTHER_LIST, "Tests", "", [ListField("email")], test_list=True)
    session, lists = suds.login(), suds["RpcRecipientList"]

    assert lists.getAllIds(session) == [OTHER_LIST, LIST_ID]
    assert lists.getAttributeNames(session, LIST_ID, "de") == [
        "email", "first_name", "last_name", "Erstellt am", "Geändert am", "Opt-in-Quelle", "Opt-in-Datum",
    ]
    assert lists.getAttributeNames(session, LIST_ID, "en")[3:] == [
        "Created on", "Modified on", "Opt-in source", "Opt-in date",
    ]
    assert lists.getName(session, LIST_ID) == "Newsletter"
    assert lists.getDescription(session, LIST_ID) == "Main list"
    assert (lists.getCount(session, True), lists.getCount(session, False)) == (2, 1)
    suds.assert_covered("RpcRecipientList")


def test_unsubscribe(suds):
    session, unsubscribe = suds.login(), suds["RpcUnsubscribe"]

    unsubscribe.add(session, LIST_ID, "a@example.com")
    unsubscribe.addAll(session, 0, ["b@example.com", "c@example.com"])

    assert unsubscribe.getCount(session) == 3
    assert unsubscribe.contains(session, "A@example.com") is True
    assert unsubscribe.containsAll(session, ["b@example.com", "z@example.com"]) == [True, False]
    unsubscribe.remove(session, "a@example.com")
    unsubscribe.removeAll(session, ["b@example.com", "c@example.com"])
    assert unsubscribe.getCount(session) == 0
    suds.assert_covered("RpcUnsubscribe")


def test_blacklist(sandbox, suds):
    session, blacklist = suds.login(), suds["RpcBlacklist"]

    blacklist.add(session, "*@example.com", "competitor")
    blacklist.addAll(session, ["x@y.de", "a?@third.net"], ["typo", "test"])

    assert blacklist.getAllEntries(session) == ["*@example.com", "x@y.de", "a?@third.net"]
    assert blacklist.getCount(session) == 3
    assert blacklist.contains(session, "*@EXAMPLE.COM") is True
    assert blacklist.containsAll(session, ["x@y.de", "bob@example.com"]) == [True, False]
    assert blacklist.isBlacklisted(session, "bob@example.com") is True
    assert blacklist.areBlacklisted(session, ["ab@third.net", "abc@third.net"]) == [True, False]
    assert blacklist.getFirstMatchingEntry(session, "bob@example.com") == "*@example.com"
    assert blacklist.getFirstMatchingEntry(session, "nobody@else.org") is None
    assert blacklist.getReason(session, "x@y.de") == "typo"
    with pytest.raises(WebFault) as unknown:
        blacklist.getReason(session, "nobody@else.org")

    blacklist.remove(session, "*@example.com")
    blacklist.removeAll(session, ["x@y.de"])

    assert blacklist.getAllEntries(session) == ["a?@third.net"]
    assert [e["pattern"] for e in sandbox.client.blocklist_entries()] == ["a?@third.net"]
    assert faultstring(unknown).endswith(
        "Blacklist entry 'nobody@else.org' does not exist for call: pattern='nobody@else.org'"
    )
    suds.assert_covered("RpcBlacklist")


def test_mailing(sandbox, suds):
    seed_two(sandbox.client)  # a@example.com (Ann), b@example.com (Bob)
    sandbox.client.lists[OTHER_LIST] = RecipientList(OTHER_LIST, "Other", "", [ListField("email")])
    sandbox.client.target_groups[5] = TargetGroup(5, "Ann only", {"first_name": "Ann"})
    session, mailing = suds.login(), suds["RpcMailing"]

    event = mailing.create(session, "event", "Welcome", "text/html", [LIST_ID], "news", "Shop", "UTF-8")
    regular = mailing.create(session, "regular", "News", "text/plain", [LIST_ID, OTHER_LIST], "news", "Shop", "UTF-8")
    mailing.setName(session, event, "Welcome!")
    mailing.setDescription(session, event, "after sign-up")
    mailing.setRecipientListIds(session, regular, [OTHER_LIST])
    mailing.setRecipientFilterIds(session, event, [5])

    assert mailing.getIds(session, "event") == [event]
    assert mailing.getIdsInStatus(session, "regular", "NEW") == [regular]
    assert mailing.getCount(session, "regular") == 1
    assert mailing.getName(session, event) == "Welcome!"
    assert mailing.getDescription(session, event) == "after sign-up"
    assert mailing.getDescription(session, regular) is None
    assert mailing.getStatus(session, event) == "NEW"
    assert mailing.getMimeType(session, regular) == "text/plain"
    assert mailing.getRecipientListIds(session, regular) == [OTHER_LIST]
    assert mailing.getRecipientFilterIds(session, event) == [5]
    assert mailing.sendMail(session, event, LIST_ID, "a@example.com") == 0
    assert mailing.sendMails(session, event, LIST_ID, ["b@example.com", "x@example.com"]) == [5, 3]
    assert mailing.sendMail(session, event, OTHER_LIST, "a@example.com") == 4
    with pytest.raises(WebFault) as not_event:
        mailing.sendMail(session, regular, OTHER_LIST, "a@example.com")

    mailing.remove(session, regular)
    assert mailing.getIds(session, "regular") == []
    assert "only event mailings can be sent for call: " in faultstring(not_event)
    suds.assert_covered("RpcMailing")


def test_every_service_with_operations_has_a_test_here():
    covered = {"RpcSession", "RpcRecipient", "RpcRecipientList", "RpcUnsubscribe", "RpcBlacklist", "RpcMailing"}
    assert set(SERVICES) == covered
