"""Mask passwords inside any text before it is shown: URLs in doctor, error messages, logs, metadata.

One function, used wherever configuration or an error may carry a connection string: the
`user:password@` part of every URL in the text becomes `user:***@`, and libpq's `password=...`
keyword form becomes `password=***`.
"""

from __future__ import annotations

import logging
import re

MASK = "***"

# scheme://user:password@ ; the password runs to the last '@' before a '/' or whitespace, so an
# unencoded '@' inside it is masked too.
_URL_PASSWORD = re.compile(r"(?P<prefix>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@]*:)(?P<password>[^\s/]*)@")
_KEYWORD_PASSWORD = re.compile(r"(?P<prefix>\bpassword\s*=\s*)(?P<password>'[^']*'|\S+)", re.IGNORECASE)


def mask_passwords(text: object) -> str:
    """`text` with the password of every URL (and every `password=` keyword) replaced by ***."""
    masked = _URL_PASSWORD.sub(lambda m: f"{m['prefix']}{MASK}@", str(text))
    return _KEYWORD_PASSWORD.sub(lambda m: f"{m['prefix']}{MASK}", masked)


class MaskPasswordsFilter(logging.Filter):
    """A logging filter that masks passwords in every record's final message (CLI handlers use it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_passwords(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info:
            # Another handler may have formatted (and cached) the traceback already.
            record.exc_text = mask_passwords(record.exc_text or logging.Formatter().formatException(record.exc_info))
        return True
