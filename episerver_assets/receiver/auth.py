"""Request authentication: HTTP Basic or a shared key in a header, compared in constant time.

Both the given and the expected values are compared as bytes with `hmac.compare_digest`, so the time
taken does not tell an attacker how much of a guess was right. Nothing here logs or echoes a value.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping

from .config import ReceiverConfig


def _same(given: str | bytes, expected: str) -> bool:
    given_bytes = given if isinstance(given, bytes) else given.encode("utf-8", "surrogateescape")
    return hmac.compare_digest(given_bytes, expected.encode("utf-8"))


def _basic_ok(header: str, config: ReceiverConfig) -> bool:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, sep, password = base64.b64decode(encoded.strip(), validate=True).partition(b":")
    except (binascii.Error, ValueError):
        return False
    # Both comparisons always run: skipping the second on a wrong user would leak which part was wrong.
    user_ok = _same(user, config.user)
    password_ok = _same(password, config.secret)
    return bool(sep) and user_ok and password_ok


def is_authorised(headers: Mapping[str, str], config: ReceiverConfig) -> bool:
    if config.auth_mode == "basic":
        return _basic_ok(headers.get("authorization", ""), config)
    return _same(headers.get(config.key_header.lower(), ""), config.secret)
