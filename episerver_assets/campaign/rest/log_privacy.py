"""httpx logs every request's full URL at INFO; recipient ids in those URLs are often e-mail addresses."""

from __future__ import annotations

import logging

from ..errors import redact_url


class RedactRequestUrls(logging.Filter):
    """Rewrites the URL arguments of httpx's and httpcore's log records as `redact_url` shows them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(_redacted(arg) for arg in record.args)
        return True


def _redacted(value: object) -> object:
    text = str(value)
    return redact_url(text) if "://" in text else value


def install() -> None:
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactRequestUrls) for f in logger.filters):
            logger.addFilter(RedactRequestUrls())
