"""The Campaign SOAP client's services and operations: packaged WSDLs, endpoints, what each call sends."""

from __future__ import annotations

import pytest
from lxml import etree

from episerver_assets.campaign.errors import CampaignConfigError
from episerver_assets.campaign.soap import OfflineTransport
from episerver_assets.campaign.soap.wsdl import SERVICES, load_service

from .scripted_soap_server import SOAP_URL, SOAPENC, Posted, axis_reply, login_reply, scalar_reply, scripted

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
