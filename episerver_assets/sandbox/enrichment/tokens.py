"""Access tokens of the client credentials grant: random, expiring, checked on every request.

The clock is injectable so that tests can let a token expire without waiting for it.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ...settings import SANDBOX_ENRICHMENT_CLIENT_ID, SANDBOX_ENRICHMENT_SECRET


@dataclass
class TokenIssuer:
    client_id: str = SANDBOX_ENRICHMENT_CLIENT_ID
    client_secret: str = SANDBOX_ENRICHMENT_SECRET
    ttl_seconds: float = 300.0
    clock: Callable[[], float] = time.time
    issued: int = 0
    _expiry: dict[str, float] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def credentials_match(self, client_id: str | None, client_secret: str | None) -> bool:
        return (secrets.compare_digest(client_id or "", self.client_id)
                and secrets.compare_digest(client_secret or "", self.client_secret))

    def issue(self) -> tuple[str, float]:
        """A new token and its lifetime in seconds."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            now = self.clock()
            self._expiry = {t: e for t, e in self._expiry.items() if e > now}  # forget expired ones
            self._expiry[token] = now + self.ttl_seconds
            self.issued += 1
        return token, self.ttl_seconds

    def problem(self, token: str | None) -> str | None:
        """None for a valid token, else why it is refused."""
        if not token:
            return "missing access token"
        with self._lock:
            expires = self._expiry.get(token)
            if expires is None:
                return "unknown access token"
            return "expired access token" if expires <= self.clock() else None
