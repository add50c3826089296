"""One SOAP call on the wire: render with zeep, add the arrays, post, retry safe failures, parse.

A `PreparedCall` argument (addAll3's batches) replaces zeep on both ends: it renders its own envelope
and reads its own reply; any reply it does not recognise (a fault, an error page) goes through zeep
as every other call's, so the errors stay the same.

Retries cover only failures that cannot have changed anything on the server (the connection was
never made) or calls that are safe to repeat (`idempotent=True`): a timed-out `addAll3` may already
have added its batch, and repeating it would report those recipients as "already in list".
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod

import requests
from lxml import etree
from urllib3.exceptions import NewConnectionError
from zeep.exceptions import Fault, TransportError
from zeep.exceptions import XMLSyntaxError as ZeepXMLSyntaxError
from zeep.transports import Transport
from zeep.xsd import Nil

from ..errors import CampaignConnectionError, CampaignError, redact_url
from ..retry import RetryPolicy, parse_retry_after
from .encoding import SoapArray, place_arrays, plain
from .faults import Redactor, fault_error, http_error, salvage_fault
from .wsdl import LoadedService, load_service

logger = logging.getLogger(__name__)

_HEADERS = {"SOAPAction": '""', "Content-Type": "text/xml; charset=utf-8"}
_RETRYABLE_STATUS = {502, 503, 504}


class PreparedCall(ABC):
    """The last argument of a call whose envelope and reply are handled without zeep."""

    @abstractmethod
    def render(self, *leading: object) -> bytes:
        """The whole envelope, given the arguments before this one (the session id)."""

    @abstractmethod
    def parse(self, content: bytes) -> object | None:
        """The result of a 200 reply, or None to leave the reply to zeep."""


class SoapCaller:
    """Posts operations of the Campaign web services found under `soap_url`."""

    def __init__(self, soap_url: str, transport: Transport, retry: RetryPolicy, redact: Redactor):
        self.soap_url = soap_url
        self.transport = transport
        self.retry = retry
        self.redact = redact
        self._services: dict[str, LoadedService] = {}

    def service(self, name: str) -> LoadedService:
        if name not in self._services:
            self._services[name] = load_service(name, self.soap_url, self.transport)
        return self._services[name]

    def call(self, service: str, operation: str, *args: object, idempotent: bool) -> object:
        """Call `service.operation(*args)`; `SoapArray` arguments travel as soapenc arrays."""
        loaded = self.service(service)
        prepared = args[-1] if args and isinstance(args[-1], PreparedCall) else None
        if prepared is None:
            envelope = self.envelope(loaded, operation, args)
        else:
            envelope = prepared.render(*args[:-1])
        reply = self._post_with_retries(loaded, operation, envelope, idempotent)
        if prepared is not None and reply.status_code == 200:
            result = prepared.parse(reply.content)
            if result is not None:
                return result
        return plain(self._parse(loaded, operation, reply))

    def envelope(self, loaded: LoadedService, operation: str, args: tuple[object, ...]) -> etree._Element:
        arrays = {i: a for i, a in enumerate(args) if isinstance(a, SoapArray)}
        placeholders = [Nil if i in arrays else a for i, a in enumerate(args)]
        envelope = loaded.client.create_message(loaded.proxy, operation, *placeholders)
        place_arrays(envelope, arrays)
        return envelope

    def _post_with_retries(
        self, loaded: LoadedService, operation: str, envelope: etree._Element | bytes, idempotent: bool
    ) -> requests.Response:
        attempt = 1
        while True:
            retry_after = None
            try:
                if isinstance(envelope, bytes):
                    reply = self.transport.post(loaded.address, envelope, dict(_HEADERS))
                else:
                    reply = self.transport.post_xml(loaded.address, envelope, dict(_HEADERS))
            except requests.RequestException as error:
                failure = self._connection_error(loaded, operation, error)
                safe_to_repeat = idempotent or not failure.effect_unknown
                if not safe_to_repeat or not self.retry.may_retry(attempt):
                    raise failure from error
                self._log_retry(loaded, operation, attempt, failure.reason)
            else:
                # 429 is a refusal, so even a write can be repeated; a 5xx from a proxy may not be.
                retryable = reply.status_code == 429 or (reply.status_code in _RETRYABLE_STATUS and idempotent)
                if not retryable or not self.retry.may_retry(attempt):
                    return reply
                self._log_retry(loaded, operation, attempt, f"HTTP {reply.status_code}")
                retry_after = parse_retry_after(reply.headers.get("Retry-After"))
            self.retry.wait(attempt, retry_after)
            attempt += 1

    def _connection_error(
        self, loaded: LoadedService, operation: str, error: requests.RequestException
    ) -> CampaignConnectionError:
        never_sent = _never_sent(error)
        reason = f"{operation}: {type(error).__name__}: {self.redact(str(error))}"
        return CampaignConnectionError("POST", loaded.address, reason, effect_unknown=not never_sent)

    def _log_retry(self, loaded: LoadedService, operation: str, attempt: int, reason: str) -> None:
        logger.warning(
            "SOAP %s.%s attempt %d failed (%s); retrying", loaded.name, operation, attempt, reason
        )

    def _parse(self, loaded: LoadedService, operation: str, reply: requests.Response) -> object:
        binding = loaded.binding
        url = redact_url(loaded.address)
        try:
            return binding.process_reply(loaded.client, binding.get(operation), reply)
        except Fault as fault:
            if fault.code is None and reply.status_code != 200:
                # zeep's stand-in for a reply without a SOAP fault: an HTML error page, a wrong URL.
                raise http_error(reply.status_code, url, operation) from None
            raise fault_error(operation, fault.code, fault.message, url, self.redact) from None
        except (TransportError, ZeepXMLSyntaxError, etree.XMLSyntaxError) as error:
            salvaged = salvage_fault(reply.content) if reply.content else None
            if salvaged is not None:
                raise fault_error(operation, salvaged[0], salvaged[1], url, self.redact) from None
            if reply.status_code != 200:
                raise http_error(reply.status_code, url, operation) from error
            raise CampaignError(
                f"SOAP {operation} at {url}: unreadable reply ({type(error).__name__})"
            ) from None


def _never_sent(error: requests.RequestException) -> bool:
    """True when the TCP connection was never established, so the request cannot have arrived."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    if isinstance(error, requests.ConnectionError) and error.args:
        inner = error.args[0]
        reason = getattr(inner, "reason", inner)
        return isinstance(reason, (NewConnectionError, ConnectionRefusedError))
    return False
