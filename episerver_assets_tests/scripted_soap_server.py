"""A scripted Campaign SOAP server at the zeep transport boundary, for the SOAP client's tests.

`ScriptedServer` records every posted envelope and answers in the Axis style of the recordings, for
exact wire assertions and for failures the sandbox cannot produce. `scripted()` returns a client
wired to one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import requests
from lxml import etree

from episerver_assets.campaign.retry import RetryPolicy
from episerver_assets.campaign.soap import CampaignSoapClient, OfflineTransport, SoapSettings

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
