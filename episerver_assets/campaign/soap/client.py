"""`CampaignSoapClient`: the Campaign SOAP operations this project uses, with typed results."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import requests

from ..retry import RetryPolicy
from .add_all3 import AddAll3Code, AddAll3Summary, RecipientColumns, RecipientRecord, batches
from .add_all3_send import send_batches, widen_connection_pool
from .add_all3_wire import AddAll3Envelope
from .blocklist import SoapBlocklist
from .caller import SoapCaller
from .encoding import chunk_rows, string_array
from .faults import Redactor
from .mailings import SoapMailings
from .session import Credentials, SessionKeeper
from .wsdl import OfflineTransport

logger = logging.getLogger(__name__)

MAX_BATCH_SIZE = 10_000


@dataclass(frozen=True)
class SoapSettings:
    """Where and how to reach the SOAP API. `soap_url` ends before `/Rpc<Service>`."""

    soap_url: str
    client_id: int
    api_user: str
    api_password: str = field(repr=False)
    connect_timeout_seconds: float = 10.0
    read_timeout_seconds: float = 300.0
    batch_size: int = 1000
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(max_attempts=4))

    def __post_init__(self) -> None:
        if not self.soap_url.startswith(("http://", "https://")):
            raise ValueError("soap_url must be an http(s) URL such as https://api.campaign.episerver.net/soap11")
        if not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE}")
        if self.connect_timeout_seconds <= 0 or self.read_timeout_seconds <= 0:
            raise ValueError("timeouts must be positive")


class CampaignSoapClient:
    """Calls the Campaign SOAP web services; logs in lazily and renews an expired session once.

    Use as a context manager (or call `close()`) so the session is logged out and sockets closed.
    `transport` replaces the HTTP transport (tests use it to see the exact bytes on the wire).
    """

    def __init__(self, settings: SoapSettings, transport: OfflineTransport | None = None):
        self.settings = settings
        self._transport = transport or OfflineTransport(
            settings.connect_timeout_seconds, settings.read_timeout_seconds
        )
        self._caller = SoapCaller(settings.soap_url, self._transport, settings.retry, Redactor())
        self._session = SessionKeeper(
            self._caller, Credentials(settings.client_id, settings.api_user, settings.api_password)
        )
        self.blocklist = SoapBlocklist(self._session)
        """RpcBlacklist: blocklist entries and patterns, on this client's session."""
        self.mailings = SoapMailings(self._session)
        """RpcMailing: mailing ids, names, recipient lists and sendMail, on this client's session."""

    # -- session -------------------------------------------------------------------------------

    def login(self) -> str:
        """Open a new session now (normally not needed: every call logs in when it must)."""
        return self._session.login()

    def logout(self) -> None:
        self._session.logout()

    def check(self) -> None:
        """Cheap end-to-end check for `doctor`: log in (endpoint, client id, credentials) and out."""
        self._session.probe()

    def close(self) -> None:
        try:
            if self._session.logged_in:
                self._session.logout()
        except Exception as error:  # a failed logout must not hide the caller's own outcome
            logger.warning("SOAP logout on close failed: %s", error)
        finally:
            if isinstance(self._transport.session, requests.Session):
                self._transport.session.close()

    def __enter__(self) -> CampaignSoapClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- recipients ----------------------------------------------------------------------------

    def clear(self, list_id: int) -> None:
        """Remove every recipient from the list (the CRM refresh does this before `add_all3`)."""
        self._session.call("RpcRecipient", "clear", int(list_id), idempotent=True)

    def add_all3(
        self,
        list_id: int,
        recipients: Iterable[RecipientRecord] | RecipientColumns,
        attribute_names: Sequence[str],
        optin_process_id: int = 0,
        connections: int = 1,
    ) -> AddAll3Summary:
        """Add recipients in batches of `settings.batch_size`, up to `connections` batches in flight;
        return the codes counted per kind (recorded in batch order whatever the order of the replies)."""
        widen_connection_pool(self._transport.session, connections)
        self._caller.service("RpcRecipient")  # loaded once here, not by each thread

        def send(envelope: AddAll3Envelope) -> object:
            return self._session.call("RpcRecipient", "addAll3", envelope, idempotent=False)

        chunks = batches(recipients, attribute_names, self.settings.batch_size, list_id, optin_process_id)
        return send_batches(send, chunks, list_id, connections)

    def add(
        self, list_id: int, recipient: RecipientRecord, attribute_names: Sequence[str], optin_process_id: int = 0
    ) -> AddAll3Code:
        """Add one recipient (`add2`)."""
        values = [recipient.attributes.get(name) for name in attribute_names]
        code = self._session.call(
            "RpcRecipient", "add2", int(list_id), int(optin_process_id), str(recipient.recipient_id),
            recipient.address, string_array(attribute_names), string_array(values), idempotent=False,
        )
        return AddAll3Code.from_wire(code)

    def get_all_flat(self, list_id: int, attribute_names: Sequence[str]) -> list[list[str | None]]:
        """Every recipient of the list as one row of the requested attributes."""
        flat = self._session.call(
            "RpcRecipient", "getAllFlat", int(list_id), string_array(attribute_names), idempotent=True
        )
        return chunk_rows(flat or [], len(attribute_names))

    def set_attributes(self, list_id: int, recipient_id: str, values: Mapping[str, object]) -> None:
        names = list(values)
        self._session.call(
            "RpcRecipient", "setAttributes", int(list_id), str(recipient_id),
            string_array(names), string_array(values[n] for n in names), idempotent=True,
        )

    def set_attributes_in_batch(
        self, list_id: int, recipient_ids: Sequence[str], attribute_names: Sequence[str],
        rows: Sequence[Sequence[object]],
    ) -> None:
        """Update existing recipients (`setAttributesInBatchFlat`); one row per recipient id."""
        if len(rows) != len(recipient_ids) or any(len(row) != len(attribute_names) for row in rows):
            raise ValueError("need one row per recipient id and one value per attribute name")
        self._session.call(
            "RpcRecipient", "setAttributesInBatchFlat", int(list_id), string_array(recipient_ids),
            string_array(attribute_names), string_array(v for row in rows for v in row), idempotent=True,
        )

    # -- recipient lists -----------------------------------------------------------------------

    def get_list_ids(self) -> list[int]:
        return [int(i) for i in self._session.call("RpcRecipientList", "getAllIds", idempotent=True) or []]

    def get_attribute_names(self, list_id: int, locale: str = "en") -> list[str]:
        names = self._session.call(
            "RpcRecipientList", "getAttributeNames", int(list_id), locale, idempotent=True
        )
        return [str(n) for n in names or []]

    # -- unsubscribes --------------------------------------------------------------------------

    def add_unsubscribe(self, recipient_id: str, list_id: int = 0) -> None:
        """Unsubscribe a recipient (usually the address); `list_id` 0 means client-wide."""
        self._session.call("RpcUnsubscribe", "add", int(list_id), str(recipient_id), idempotent=True)

    def is_unsubscribed(self, recipient_id: str) -> bool:
        return bool(self._session.call("RpcUnsubscribe", "contains", str(recipient_id), idempotent=True))

    def remove_unsubscribe(self, recipient_id: str) -> None:
        self._session.call("RpcUnsubscribe", "remove", str(recipient_id), idempotent=True)

    def count_unsubscribes(self) -> int:
        return int(self._session.call("RpcUnsubscribe", "getCount", idempotent=True) or 0)
