"""Reading and checking a request body: size capped while streaming, JSON objects only, arrays capped.

Every refusal is a `Refused` with the HTTP status and a one-line reason for the sender.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass


@dataclass
class Refused(Exception):
    status: int
    reason: str


def check_content_type(headers: Mapping[str, str]) -> None:
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise Refused(415, f"content type must be application/json, got {media_type or 'none'!r}")


async def read_capped(headers: Mapping[str, str], stream: AsyncIterator[bytes], max_bytes: int) -> bytes:
    """The body, refused as soon as it passes max_bytes: an oversize upload is never held in memory."""
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise Refused(413, f"body of {declared} bytes exceeds the limit of {max_bytes} bytes")
    chunks, size = [], 0
    async for chunk in stream:
        size += len(chunk)
        if size > max_bytes:
            raise Refused(413, f"body exceeds the limit of {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def count_events(body: bytes, max_events: int) -> int:
    """How many events the body holds: one object, or an array of 1..max_events objects."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Refused(400, f"body is not JSON: {error}".splitlines()[0]) from None
    if isinstance(document, dict):
        return 1
    if not isinstance(document, list):
        raise Refused(400, f"body must be a JSON object or an array of objects, got {type(document).__name__}")
    if not document:
        raise Refused(400, "body is an empty array: no events")
    if len(document) > max_events:
        raise Refused(413, f"array of {len(document)} events exceeds the limit of {max_events}")
    for position, item in enumerate(document):
        if not isinstance(item, dict):
            raise Refused(400, f"array item {position} is a {type(item).__name__}, not a JSON object")
    return len(document)
