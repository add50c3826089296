"""One webhook event in, one normalised row (or the reason it cannot be stored) out.

The rules, per field (seed 000, Import Activity):
- `type` trimmed and lower-cased; missing or empty: rejected.
- `email` is `mediaTypesToAddresses.EMAIL` trimmed and lower-cased (the identity key), the value as
  delivered is kept in `email_original`. No address and no `recipientId`: rejected.
- `recipientId` is text as delivered (an integral number becomes its decimal text); `mailingId`,
  `userListId` and `clientId` must be integers, as JSON numbers or decimal strings (kept exactly as
  delivered); anything else there is rejected rather than guessed.
- `timestamp` is RFC 3339 with an offset, or a JSON number of milliseconds since the epoch.
- `event_id` is the SHA-256 of the event's canonical JSON (sorted keys, no whitespace, UTF-8), so a
  redelivered event, alone or in another array, gets the same id.
Reject reasons never quote values: they may hold e-mail addresses.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
import re
from typing import Any, NamedTuple

from .urls import url_hash, url_main

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_ONE_MICROSECOND = dt.timedelta(microseconds=1)
_DECIMAL_INTEGER = re.compile(r"-?[0-9]+")
_NUMERIC_IDS = (("mailingId", "mailing_id"), ("userListId", "recipient_list_id"), ("clientId", "client_id"))


class Rejected(ValueError):
    """The event cannot be stored; the message is the reason recorded in the rejects table."""


class ActivityEvent(NamedTuple):
    event_id: str
    event_date: dt.date
    event_ts_us: int
    """Microseconds since the epoch, UTC."""
    type: str
    email: str | None
    email_original: str | None
    ep_recipient_id: str | None
    mailing_id: str | None
    recipient_list_id: str | None
    client_id: str | None
    link: str | None
    url_main: str | None
    url_hash: int | None


def canonical_json(event: dict[str, Any]) -> bytes:
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8", "surrogatepass"
    )


def event_type(event: Any) -> str:
    """The lower-cased type of an event that is a JSON object with a type; else Rejected."""
    if not isinstance(event, dict):
        raise Rejected("not a JSON object")
    value = event.get("type")
    kind = value.strip().lower() if isinstance(value, str) else ""
    if not kind:
        raise Rejected("no type")
    return kind


def event_time(value: Any) -> dt.datetime:
    """`timestamp` as an aware UTC datetime: RFC 3339 with offset, or epoch milliseconds if numeric."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise Rejected("timestamp is not a finite number")
            return EPOCH + dt.timedelta(milliseconds=value)
        if isinstance(value, str):
            parsed = dt.datetime.fromisoformat(value.strip())
            if parsed.tzinfo is None:
                raise Rejected("timestamp has no UTC offset")
            return parsed.astimezone(dt.timezone.utc)
    except (ValueError, OverflowError) as error:
        if isinstance(error, Rejected):
            raise
        raise Rejected("timestamp is not RFC 3339 or epoch milliseconds") from None
    raise Rejected("no timestamp" if value is None else "timestamp is not RFC 3339 or epoch milliseconds")


def event_date_of(event: Any) -> dt.date | None:
    """The UTC date of an event's timestamp, None when there is none to read (the sensor's cheap pass)."""
    try:
        return event_time(event.get("timestamp")).date() if isinstance(event, dict) else None
    except Rejected:
        return None


def _integral_text(value: Any, field: str) -> str | None:
    """Decimal text of an integer delivered as a JSON number or a decimal string (kept as delivered)."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and _DECIMAL_INTEGER.fullmatch(value):
        return value
    raise Rejected(f"{field} is not an integer")


def _recipient_id(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    return _integral_text(value, "recipientId")


def _address(event: dict[str, Any]) -> str | None:
    addresses = event.get("mediaTypesToAddresses")
    value = addresses.get("EMAIL") if isinstance(addresses, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def _check_storable(*texts: str | None) -> None:
    """Neither engine stores NUL in text, and Arrow takes only valid UTF-8 (JSON may carry lone surrogates)."""
    joined = "".join(t for t in texts if t)
    if "\x00" in joined:
        raise Rejected("text with a NUL character")
    try:
        joined.encode("utf-8")
    except UnicodeEncodeError:
        raise Rejected("text that is not valid Unicode (a lone surrogate)") from None


@functools.lru_cache(maxsize=65_536)
def _url_parts(link: str) -> tuple[str | None, int | None]:
    # Clicks repeat a mailing's few links many times: derive each link's parts once.
    main = url_main(link)
    return main, url_hash(main)


def normalise(event: Any, kind: str) -> ActivityEvent:
    """The stored row of an event whose type `event_type` returned as `kind`; Rejected otherwise."""
    address = _address(event)
    recipient = _recipient_id(event.get("recipientId"))
    if address is None and recipient is None:
        raise Rejected("no e-mail address and no recipient id")
    moment = event_time(event.get("timestamp"))
    ids = {column: _integral_text(event.get(field), field) for field, column in _NUMERIC_IDS}
    link = event.get("link")
    link = link if isinstance(link, str) and link else None
    _check_storable(kind, address, recipient, link)
    main, hashed = _url_parts(link) if link else (None, None)
    return ActivityEvent(
        event_id=hashlib.sha256(canonical_json(event)).hexdigest(),
        event_date=moment.date(),
        event_ts_us=(moment - EPOCH) // _ONE_MICROSECOND,
        type=kind,
        email=address.strip().lower() if address else None,
        email_original=address,
        ep_recipient_id=recipient,
        link=link,
        url_main=main,
        url_hash=hashed,
        **ids,
    )


def events_in_body(body: bytes) -> list[Any]:
    """The events of a landed body (one object or an array); Rejected if it is not JSON at all."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise Rejected("body is not JSON") from None
    return document if isinstance(document, list) else [document]
