"""The SOAP session: log in on first use, reuse the session id, log in again once when it expires.

A session lives 20 minutes on the server, and the server does not say when it ends; so instead of
guessing, a call that fails with an expired or invalid session triggers one new login and one retry.
A second session failure in a row is raised: it means something other than age is wrong.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from ..errors import CampaignError, CampaignSessionExpired
from .caller import SoapCaller

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Credentials:
    client_id: int
    api_user: str
    api_password: str = field(repr=False)


class SessionKeeper:
    """Holds one session id for a `SoapCaller` and runs session-bound calls with it."""

    def __init__(self, caller: SoapCaller, credentials: Credentials):
        self._caller = caller
        self._credentials = credentials
        self._lock = threading.Lock()
        self._session_id: str | None = None
        caller.redact.add(credentials.api_password)
        caller.redact.add(credentials.api_user)

    @property
    def logged_in(self) -> bool:
        return self._session_id is not None

    def login(self) -> str:
        """Open a new session and hold it; a session held before is logged out."""
        with self._lock:
            previous, self._session_id = self._session_id, None
            session_id = self._login_locked()
        if previous is not None:
            self._logout_quietly(previous)
        return session_id

    def _login_locked(self) -> str:
        self._session_id = self._open()
        return self._session_id

    def _open(self) -> str:
        c = self._credentials
        session_id = self._caller.call(
            "RpcSession", "login", c.client_id, c.api_user, c.api_password, idempotent=True
        )
        if not isinstance(session_id, str) or not session_id:
            raise CampaignSessionExpired("login", None, "login returned no session id", self._caller.soap_url)
        self._caller.redact.add(session_id)
        logger.info("SOAP login to client %s succeeded", c.client_id)
        return session_id

    def probe(self) -> None:
        """Log in and out again with a session of its own; the held session is left alone."""
        self._caller.call("RpcSession", "logout", self._open(), idempotent=True)

    def logout(self) -> None:
        """End the held session, if any. The id is forgotten even if the server refuses."""
        with self._lock:
            session_id, self._session_id = self._session_id, None
        if session_id is not None:
            self._caller.call("RpcSession", "logout", session_id, idempotent=True)

    def _logout_quietly(self, session_id: str) -> None:
        try:
            self._caller.call("RpcSession", "logout", session_id, idempotent=True)
        except CampaignError as error:  # the old session expires on its own within 20 minutes
            logger.warning("SOAP logout of a replaced session failed: %s", error)

    def current(self) -> str:
        with self._lock:
            return self._session_id or self._login_locked()

    def call(self, service: str, operation: str, *args: object, idempotent: bool) -> object:
        """Call an operation whose first parameter is the session id."""
        session_id = self.current()
        try:
            return self._caller.call(service, operation, session_id, *args, idempotent=idempotent)
        except CampaignSessionExpired as expired:
            logger.warning(
                "SOAP %s.%s: session expired or invalid (server said: %s); logging in again and retrying once",
                service,
                operation,
                expired.message,
            )
            session_id = self._renew(session_id)
        return self._caller.call(service, operation, session_id, *args, idempotent=idempotent)

    def _renew(self, stale: str) -> str:
        with self._lock:
            # Another thread may have renewed it already while this one waited for the lock.
            if self._session_id is not None and self._session_id != stale:
                return self._session_id
            self._session_id = None
            return self._login_locked()
