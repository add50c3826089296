"""SOAP sessions: ids handed out by ``RpcSession.login``, valid until unused for the TTL."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .faults import invalid_session


@dataclass
class Session:
    session_id: str
    client_id: int
    user: str
    last_used: float


class SessionStore:
    """Open sessions by id. Each use restarts the TTL, as on Campaign (20 minutes there).

    ``clock`` is injectable so that tests can move time forward instead of sleeping.
    """

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic):
        if ttl_seconds <= 0:
            raise ValueError(f"session TTL must be positive, got {ttl_seconds}")
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self, client_id: int, user: str) -> Session:
        now = self._clock()
        with self._lock:
            self._drop_expired(now)
            # 16 hex digits, like the ids the real service hands out.
            session = Session(secrets.token_hex(8), client_id, user, now)
            self._sessions[session.session_id] = session
            return session

    def resolve(self, session_id: str | None) -> Session:
        """The live session with this id, its TTL restarted; an invalid-session fault otherwise."""
        now = self._clock()
        with self._lock:
            session = self._sessions.get(session_id or "")
            if session is None or self._is_expired(session, now):
                self._sessions.pop(session_id or "", None)
                raise invalid_session()
            session.last_used = now
            return session

    def close(self, session_id: str | None) -> None:
        with self._lock:
            self._sessions.pop(session_id or "", None)

    def _is_expired(self, session: Session, now: float) -> bool:
        return now - session.last_used >= self.ttl_seconds

    def _drop_expired(self, now: float) -> None:
        # Clients that never log out would otherwise grow the table for as long as the sandbox runs.
        for session_id in [s.session_id for s in self._sessions.values() if self._is_expired(s, now)]:
            del self._sessions[session_id]
