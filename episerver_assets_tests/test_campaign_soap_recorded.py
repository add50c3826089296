"""The SOAP client against the recorded live traffic (fixtures/soap_recorded).

Each recording is `<scenario>__<n>_<Service>_<operation>.{request.xml,response.xml,status}`. A fake
transport answers every operation the client posts with the recorded response of the same scenario,
byte for byte, so the client's whole parsing path (zeep, multiRef, soapenc wrappers, faults) runs on
what the live service really sent. Expected values are written out here, not derived from the client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from lxml import etree

from episerver_assets.campaign.errors import CampaignSessionExpired, CampaignSoapFault
from episerver_assets.campaign.soap import (
    AddAll3Code,
    CampaignSoapClient,
    OfflineTransport,
    RecipientRecord,
    SoapSettings,
)
from episerver_assets.campaign.soap.encoding import chunk_rows

RECORDED = Path(__file__).parent / "fixtures" / "soap_recorded"
SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
_NAME = re.compile(r"^(?P<scenario>.+)__(?P<seq>\d+)_(?P<service>Rpc[A-Za-z]+)_(?P<operation>\w+)$")
PASSWORD = "pw-not-in-recordings"


@dataclass(frozen=True)
class Exchange:
    name: str
    scenario: str
    seq: int
    service: str
    operation: str

    def read(self, suffix: str) -> bytes:
        return (RECORDED / f"{self.name}.{suffix}").read_bytes()

    @property
    def status(self) -> int:
        return int(self.read("status").strip())

    def request_arguments(self) -> dict[str, object]:
        """The recorded request's arguments by name: text, or a list of texts for arrays."""
        call = etree.fromstring(self.read("request.xml")).find(f"{{{SOAPENV}}}Body")[0]
        return {arg.tag: [e.text for e in arg] if len(arg) else arg.text for arg in call}


def exchanges() -> list[Exchange]:
    found = []
    for path in sorted(RECORDED.glob("*.response.xml")):
        name = path.name.removesuffix(".response.xml")
        match = _NAME.match(name)
        assert match, f"recording {path.name} does not follow the naming scheme"
        found.append(Exchange(name, match["scenario"], int(match["seq"]), match["service"], match["operation"]))
    return found


class RecordedService(OfflineTransport):
    """Answers each (service, operation) with the latest recorded response of one scenario."""

    def __init__(self, scenario: str, up_to_seq: int):
        super().__init__(connect_timeout=1.0, read_timeout=1.0)
        self.replies = {
            (e.service, e.operation): e
            for e in sorted(exchanges(), key=lambda e: e.seq)
            if e.scenario == scenario and e.seq <= up_to_seq
        }
        self.sent: list[tuple[str, str, bytes]] = []

    def post(self, address: str, message: bytes, headers: dict[str, str]) -> requests.Response:
        service = address.rsplit("/", 1)[1]
        operation = etree.QName(etree.fromstring(message).find(f"{{{SOAPENV}}}Body")[0]).localname
        self.sent.append((service, operation, message))
        exchange = self.replies[(service, operation)]
        reply = requests.Response()
        reply.status_code = exchange.status
        reply._content = exchange.read("response.xml")
        reply.headers["Content-Type"] = "text/xml;charset=utf-8"
        reply.url = address
        return reply


def client_for(exchange: Exchange) -> tuple[CampaignSoapClient, RecordedService]:
    transport = RecordedService(exchange.scenario, exchange.seq)
    settings = SoapSettings("https://api.campaign.episerver.net/soap11", 1234, "api-user", PASSWORD)
    return CampaignSoapClient(settings, transport), transport


def replay(client: CampaignSoapClient, exchange: Exchange) -> object:
    """Make the client call the recorded operation with the recorded arguments."""
    if exchange.operation == "login":
        return client.login()
    if exchange.operation == "logout":
        client.login()
        return client.logout()
    args = exchange.request_arguments()
    list_id = int(args.get("recipientListId") or 0)
    if exchange.operation == "setAttributesInBatchFlat":
        rows = chunk_rows(args["flatAttributeValues"], len(args["attributeNames"]))
        return client.set_attributes_in_batch(list_id, args["recipientIds"], args["attributeNames"], rows)
    if exchange.operation == "setAttributes":
        values = dict(zip(args["attributeNames"], args["attributeValues"]))
        return client.set_attributes(list_id, args["recipientId"], values)
    if exchange.operation == "add2":
        record = RecipientRecord(
            args["recipientId"], args["address"], dict(zip(args["attributeNames"], args["attributeValues"]))
        )
        return client.add(list_id, record, args["attributeNames"], int(args["optinProcessId"]))
    if exchange.operation == "getAllFlat":
        return client.get_all_flat(list_id, args["attributeNames"])
    if exchange.operation == "getAllIds":
        return client.get_list_ids()
    if exchange.operation == "getAttributeNames":
        return client.get_attribute_names(list_id, args["locale"])
    raise AssertionError(f"no replay for {exchange.name}")


@dataclass(frozen=True)
class Fault:
    kind: type[CampaignSoapFault]
    message_part: str


EXPECTED: dict[str, object] = {
    "bulk_update_failure__13_RpcRecipient_setAttributesInBatchFlat": Fault(
        CampaignSoapFault, "Recipients 1000000012,1000000013 do not exist"
    ),
    "bulk_update_success__15_RpcRecipient_setAttributesInBatchFlat": None,
    "receipient_update_an_existing_user__43_RpcRecipient_setAttributes": None,
    "recipient_add__45_RpcRecipient_add2": AddAll3Code.ADDED,
    "recipient_add_invalid_email__47_RpcRecipient_add2": AddAll3Code.INVALID_ADDRESS,
    "recipient_get_all__53_RpcRecipient_getAllFlat": [
        ["athletes@freeletics.com", "Official"],
        ["nocoach@test.com", "test"],
        ["coach@test.com", "test"],
    ],
    "recipient_list_all_ids__71_RpcRecipientList_getAllIds": [
        108713280263, 108713280264, 108713280294, 108713280297, 108713280303,
    ],
    "recipient_list_attribute_names__73_RpcRecipientList_getAttributeNames": [
        "user_id", "email", "first_name", "last_name", "gender", "locale", "onboarding_fitness_level",
        "onboarding_first_workout", "onboarding_workout_link", "registration_source",
        "registration_country", "Erstellt am", "Geändert am", "Opt-in-Quelle", "Opt-in-Datum",
    ],
    "session_login_bad_crendials__83_RpcSession_login": Fault(CampaignSoapFault, "Invalid credentials."),
    "session_logout__86_RpcSession_logout": None,
    "update_or_insert_an_existing_user__100_RpcRecipient_setAttributes": None,
}
LOGIN_SESSION_IDS = {
    "bulk_update_failure__12": "8b7adc5a09b8e318", "bulk_update_success__14": "befa6775f59da478",
    "receipient_update_an_existing_user__42": "e0458f2ef6faae18", "recipient_add__44": "cae0417429ca8424",
    "recipient_add_invalid_email__46": "3c33b123af314cf8", "recipient_get_all__52": "862eae1754757d98",
    "recipient_list_all_ids__70": "1cc8eaf1c8006b93", "recipient_list_attribute_names__72": "f9eeb31ea6171d40",
    "session_login__82": "33c4296db6972a38", "session_logout__84": "d78add590e00bee6",
    "session_logout__85": "48a43b7c2195f7d0", "update_or_insert_an_existing_user__99": "23637372b38b3167",
}


def expected_for(exchange: Exchange) -> object:
    if exchange.name in EXPECTED:
        return EXPECTED[exchange.name]
    return LOGIN_SESSION_IDS[f"{exchange.scenario}__{exchange.seq}"]


def test_every_recording_has_an_expectation():
    names = {e.name for e in exchanges()}
    logins = {n for n in names if n.endswith("_RpcSession_login") and "bad_crendials" not in n}
    assert names == set(EXPECTED) | logins
    assert len(logins) == len(LOGIN_SESSION_IDS)


@pytest.mark.parametrize("exchange", exchanges(), ids=lambda e: e.name)
def test_recorded_response_parses_to_python_values(exchange: Exchange):
    client, transport = client_for(exchange)
    expected = expected_for(exchange)
    if isinstance(expected, Fault):
        with pytest.raises(expected.kind) as caught:
            replay(client, exchange)
        assert not isinstance(caught.value, CampaignSessionExpired)
        assert expected.message_part in caught.value.message
        assert not caught.value.message.startswith("broadmail.")
        assert caught.value.fault_code == "soapenv:Server.userException"
        assert caught.value.operation == exchange.operation
    else:
        result = replay(client, exchange)
        assert result == expected
        assert type(result) is type(expected)
        if isinstance(result, list):
            assert all(type(v) is type(expected[0]) for v in result)
    assert transport.sent[-1][:2] == (exchange.service, exchange.operation)


def test_fault_message_does_not_carry_the_session_id():
    """The recorded fault quotes the session id; errors must not."""
    failure = next(e for e in exchanges() if e.name.startswith("bulk_update_failure__13"))
    client, _ = client_for(failure)
    with pytest.raises(CampaignSoapFault) as caught:
        replay(client, failure)
    assert "8b7adc5a09b8e318" not in str(caught.value)
    assert "Error updating users in userlist #120840736429" in caught.value.message


def _leaf_texts(message: bytes) -> list[str]:
    call = etree.fromstring(message).find(f"{{{SOAPENV}}}Body")[0]
    return sorted(e.text or "" for e in call.iter() if len(e) == 0 and e is not call)


@pytest.mark.parametrize(
    "exchange", [e for e in exchanges() if e.operation != "login"], ids=lambda e: e.name
)
def test_request_carries_the_recorded_values(exchange: Exchange):
    """Our request for a recorded call holds the same values (arrays included) as the live one did.

    The recorded requests name their parameters and put the session id last; ours use the WSDL's
    positional names, so the comparison is over the values, not the element order.
    """
    client, transport = client_for(exchange)
    try:
        replay(client, exchange)
    except CampaignSoapFault:
        pass
    sent = transport.sent[-1][2]
    recorded = exchange.read("request.xml")
    assert _leaf_texts(sent) == _leaf_texts(recorded)
    ours = etree.fromstring(sent).find(f"{{{SOAPENV}}}Body")[0]
    theirs = etree.fromstring(recorded).find(f"{{{SOAPENV}}}Body")[0]
    assert ours.tag == theirs.tag
