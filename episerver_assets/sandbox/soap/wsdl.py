"""The real WSDLs shipped in ``episerver_assets/sandbox/wsdl/``, served with the sandbox's own address."""

from __future__ import annotations

import functools
import re
from importlib import resources
from xml.sax.saxutils import quoteattr

from lxml import etree

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
SERVICES_WITH_WSDL = (
    "RpcBlacklist",
    "RpcMailing",
    "RpcRecipient",
    "RpcRecipientList",
    "RpcSession",
    "RpcUnsubscribe",
)
_ADDRESS = re.compile(r'(<wsdlsoap:address\s+location=)"[^"]*"')


@functools.cache
def wsdl_text(service: str) -> str:
    return resources.files("episerver_assets.sandbox").joinpath("wsdl", f"{service}.wsdl").read_text("utf-8")


@functools.cache
def wsdl_operations(service: str) -> frozenset[str]:
    """Names of the operations in the service's portType."""
    document = etree.fromstring(wsdl_text(service).encode("utf-8"))
    return frozenset(op.get("name") for op in document.iterfind(f"{{{WSDL_NS}}}portType/{{{WSDL_NS}}}operation"))


def wsdl_with_address(service: str, endpoint_url: str) -> str:
    """The WSDL with ``soap:address location`` pointing at ``endpoint_url`` instead of the vendor."""
    text, count = _ADDRESS.subn(lambda match: match.group(1) + quoteattr(endpoint_url), wsdl_text(service))
    if count != 1:
        raise AssertionError(f"{service}.wsdl has {count} soap:address elements, expected 1")
    return text
