"""Keep the client secret and every access token out of logs and messages.

httpx logs each request's URL at INFO, and the seed's configuration puts the token into the URL
(`access_token={token}`): the filter on the HTTP libraries' loggers masks the current secrets in
every record, and `mask()` does the same for texts the enrichment writes itself (reasons, errors).
"""

from __future__ import annotations

import logging
import threading

MASK = "****"
HTTP_LOGGERS = ("httpx", "httpcore", "authlib")


class SecretsFilter(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: str | None) -> None:
        if secret:
            with self._lock:
                self._secrets.add(secret)

    def mask(self, text: object) -> str:
        text = str(text)
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True

    def __enter__(self) -> SecretsFilter:
        for name in HTTP_LOGGERS:
            logging.getLogger(name).addFilter(self)
        return self

    def __exit__(self, *exc) -> None:
        for name in HTTP_LOGGERS:
            logging.getLogger(name).removeFilter(self)
