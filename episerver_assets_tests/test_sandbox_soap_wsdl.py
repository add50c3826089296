"""The WSDLs the sandbox serves: its own address, the Host header, and the signatures it implements."""

from __future__ import annotations

import pytest
from lxml import etree

from episerver_assets.sandbox.soap.services import SERVICES

from .sandbox_soap_client import SAFE_PARSER, WSDL, Sandbox
from .sandbox_soap_client import sandbox, server  # noqa: F401  (pytest fixtures; sandbox needs server)

ALL_SERVICES = ["RpcBlacklist", "RpcMailing", "RpcRecipient", "RpcRecipientList", "RpcSession", "RpcUnsubscribe"]
WSDL_TYPES = {
    "xsd:string": "string",
    "xsd:long": "long",
    "xsd:int": "int",
    "xsd:boolean": "boolean",
    "xsd:float": "float",
    "xsd:dateTime": "dateTime",
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
