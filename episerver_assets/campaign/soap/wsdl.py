"""Load the packaged Campaign WSDLs into zeep without any network access.

The Axis 1.4 WSDLs import the SOAP-encoding schema (`http://schemas.xmlsoap.org/soap/encoding/`) by
namespace only, so zeep would fetch it from the internet. `OfflineTransport` serves that schema from a
local copy and refuses every other remote load, so a missing file fails loudly instead of silently
reaching out. The WSDLs' own endpoint address (the live service) is replaced by `{soap_url}/Rpc<Service>`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlsplit

import requests
import zeep
from zeep.proxy import ServiceProxy
from zeep.transports import Transport

from ..errors import CampaignConfigError, redact_url

SOAP_ENCODING_NS = "http://schemas.xmlsoap.org/soap/encoding/"
SERVICES = ("RpcSession", "RpcRecipient", "RpcRecipientList", "RpcUnsubscribe", "RpcBlacklist", "RpcMailing")

logger = logging.getLogger(__name__)


def packaged_file(name: str) -> bytes:
    """Bytes of a file shipped in `episerver_assets/campaign/wsdl/`."""
    return resources.files("episerver_assets.campaign").joinpath("wsdl", name).read_bytes()


_LOCAL_SCHEMAS = {SOAP_ENCODING_NS.rstrip("/"): "soap-encoding.xsd"}


class OfflineTransport(Transport):
    """zeep transport that loads schemas from the package and posts requests without logging bodies.

    zeep's own `post` logs whole envelopes at DEBUG level, and the login envelope carries the API
    password; this `post` logs only the address and status.
    """

    def __init__(self, connect_timeout: float, read_timeout: float, session: requests.Session | None = None):
        super().__init__(timeout=connect_timeout, operation_timeout=(connect_timeout, read_timeout), session=session)

    def load(self, url: str) -> bytes:
        local = _LOCAL_SCHEMAS.get(url.rstrip("/"))
        if local is not None:
            return packaged_file(local)
        if urlsplit(url).scheme in ("http", "https"):
            raise CampaignConfigError(
                f"refusing to fetch {redact_url(url)}: the Campaign WSDLs must load from the package"
            )
        return super().load(url)

    def post(self, address: str, message: bytes, headers: dict[str, str]) -> requests.Response:
        response = self.session.post(address, data=message, headers=headers, timeout=self.operation_timeout)
        logger.debug("SOAP POST %s -> HTTP %s", redact_url(address), response.status_code)
        return response


@dataclass(frozen=True)
class LoadedService:
    """One web service: the zeep client parsed from the packaged WSDL, bound to our endpoint."""

    name: str
    client: zeep.Client
    proxy: ServiceProxy
    address: str

    @property
    def binding(self):
        # zeep offers no public accessor; the binding is needed to parse replies we post ourselves.
        return self.proxy._binding


def load_service(name: str, soap_url: str, transport: Transport) -> LoadedService:
    """Parse `wsdl/<name>.wsdl` and point its binding at `{soap_url}/<name>`."""
    if name not in SERVICES:
        raise CampaignConfigError(f"unknown Campaign SOAP service {name!r}; known: {', '.join(SERVICES)}")
    wsdl = resources.files("episerver_assets.campaign").joinpath("wsdl", f"{name}.wsdl")
    with resources.as_file(wsdl) as path:
        client = zeep.Client(str(path), transport=transport)
    namespace = f"urn:api.broadmail.de/soap11/{name}"
    address = f"{soap_url.rstrip('/')}/{name}"
    proxy = client.create_service(f"{{{namespace}}}{name}SoapBinding", address)
    return LoadedService(name=name, client=client, proxy=proxy, address=address)
