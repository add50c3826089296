"""Turn SOAP faults and broken replies into the typed Campaign errors, without leaking secrets.

Campaign reports every error as a SOAP fault (HTTP 500, `soapenv:Server.userException`) whose
faultstring is `<java exception class>: <message>`; only the message is useful. An expired or unknown
session has no fault code of its own, so it is recognised by its message.
"""

from __future__ import annotations

import re

from lxml import etree

from ..errors import (
    CampaignAuthError,
    CampaignHttpError,
    CampaignNotFound,
    CampaignRateLimited,
    CampaignServerError,
    CampaignSessionExpired,
    CampaignSoapFault,
)
from .encoding import SOAP_ENV_NS

_EXCEPTION_PREFIX = re.compile(r"^\s*[\w.$]+(?:Exception|Error):\s*")
_SESSION_PROBLEM = re.compile(
    r"session\W*(?:id\W*)?.{0,40}?\b(?:expired|invalid|not valid|no longer valid|unknown|timed out|"
    r"not found|does not exist)\b|\b(?:expired|invalid|unknown)\s+session",
    re.IGNORECASE,
)
_SESSIONLESS_OPERATIONS = {"login", "getVersion"}
# The live service quotes every argument of the failed call ("... for call: name='Ann', arr=[...]"):
# recipient ids, addresses and attribute values, i.e. personal data. Only the names are kept.
_CALL_ARGUMENTS = re.compile(r"(for call:)(.*?)(?=; caused by:|$)", re.DOTALL)
_ARGUMENT_NAME = re.compile(r"(?:^|,)\s*(\w+)=")


class Redactor:
    """Removes known secrets (password, user, session ids) from text before it reaches an error or log."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 3:
            self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "<redacted>")
        return text


def server_message(faultstring: str | None) -> str:
    """The message of a faultstring without the Java exception class in front of it."""
    return _EXCEPTION_PREFIX.sub("", faultstring or "").strip()


def is_session_problem(operation: str, message: str) -> bool:
    return operation not in _SESSIONLESS_OPERATIONS and bool(_SESSION_PROBLEM.search(message))


def without_argument_values(message: str) -> str:
    """The fault text with the quoted call arguments reduced to their names: `for call: name=***, arr=***`."""

    def names_only(match: re.Match) -> str:
        names = _ARGUMENT_NAME.findall(match.group(2))
        return f"{match.group(1)} {', '.join(f'{name}=***' for name in names)}" if names else match.group(0)

    return _CALL_ARGUMENTS.sub(names_only, message)


def fault_error(
    operation: str, code: str | None, faultstring: str | None, url: str, redact: Redactor
) -> CampaignSoapFault:
    message = without_argument_values(redact(server_message(faultstring)))
    kind = CampaignSessionExpired if is_session_problem(operation, message) else CampaignSoapFault
    return kind(operation, code, message, url)


def salvage_fault(content: bytes) -> tuple[str | None, str] | None:
    """(faultcode, faultstring) from a reply that is not well-formed XML, else None.

    Proxies and logging filters sometimes splice unescaped text such as `<FILTERED>` into a fault;
    a recovering parse still finds the fault and keeps its words, so the caller gets the server's
    message instead of a bare "invalid XML".
    """
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError:
        return None
    if root is None:
        return None
    fault = root.find(f".//{{{SOAP_ENV_NS}}}Fault")
    if fault is None:
        return None
    code = fault.find("faultcode")
    text = fault.find("faultstring")
    if text is None:
        return None
    return (code.text if code is not None else None, "".join(text.itertext()))


_HTTP_ERRORS: dict[int, type[CampaignHttpError]] = {
    401: CampaignAuthError,
    403: CampaignAuthError,
    404: CampaignNotFound,
    429: CampaignRateLimited,
}


def http_error(status: int, url: str, operation: str) -> CampaignHttpError:
    """A reply that is neither a result nor a SOAP fault (a proxy page, a wrong URL, ...)."""
    kind = _HTTP_ERRORS.get(status, CampaignServerError if status >= 500 else CampaignHttpError)
    return kind(status, f"SOAP {operation}: the reply holds neither a result nor a SOAP fault", "POST", url)
