"""Read a streamed response body under a size cap and a deadline, and decode its JSON strictly.

The cap counts decoded bytes and is enforced while the body streams in, so memory stays bounded
even when a small gzip body would inflate to gigabytes: each compressed chunk is inflated only up
to the room left under the cap. Only gzip is asked for (`ACCEPT_ENCODING`) and accepted; a body in
any other encoding is refused rather than decoded by a library without an output bound.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

import httpx

from ..errors import CampaignInvalidResponse, CampaignResponseTooLarge
from .deadline import Deadline

ACCEPT_ENCODING = "gzip"

_JSON_TYPE_NAMES = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean",
                    type(None): "null"}


class _Gunzip:
    """Inflates gzip chunk by chunk, never producing more than the room it is given (plus one byte)."""

    def __init__(self) -> None:
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def decode(self, data: bytes, room: int) -> bytes:
        # max_length=room+1: one byte past the room is enough to know the cap is exceeded.
        out = self._inflate.decompress(data, room + 1)
        while self._inflate.unconsumed_tail and len(out) <= room:
            out += self._inflate.decompress(self._inflate.unconsumed_tail, room + 1 - len(out))
        return out

    def complete(self) -> bool:
        return self._inflate.eof


class _Identity:
    def decode(self, data: bytes, room: int) -> bytes:
        return data

    def complete(self) -> bool:
        return True


def _decoder(response: httpx.Response) -> _Gunzip | _Identity:
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return _Identity()
    if encoding == "gzip":
        return _Gunzip()
    raise CampaignInvalidResponse(response.request.method, str(response.request.url),
                                  f"unsupported Content-Encoding {encoding[:40]!r} (only gzip was asked for)")


def read_body(response: httpx.Response, *, limit: int, deadline: Deadline, truncate: bool = False) -> bytes:
    """The decoded body of a streamed `response`, at most `limit` bytes, read before `deadline`.

    Past the limit, `CampaignResponseTooLarge` is raised, or with `truncate` (error bodies, read
    only for their message) the first `limit` bytes are kept. When the deadline passes between
    chunks, `httpx.ReadTimeout` is raised like any other timeout, so the caller handles both alike.
    The caller closes the response, which drops the connection if the body was not read to its end.
    """
    request = response.request
    if response.is_stream_consumed:  # built already read (e.g. by httpx.MockTransport): only the cap applies
        if len(response.content) > limit and not truncate:
            raise CampaignResponseTooLarge(request.method, str(request.url), limit)
        return response.content[:limit]
    decoder = _decoder(response)
    declared = response.headers.get("Content-Length", "")
    if isinstance(decoder, _Identity) and declared.isdigit() and int(declared) > limit and not truncate:
        raise CampaignResponseTooLarge(request.method, str(request.url), limit)  # no need to wait for it
    chunks: list[bytes] = []
    size = 0
    try:
        for raw in response.iter_raw():
            piece = decoder.decode(raw, limit - size)
            size += len(piece)
            if size > limit:
                if truncate:
                    chunks.append(piece[: len(piece) - (size - limit)])
                    break
                raise CampaignResponseTooLarge(request.method, str(request.url), limit)
            chunks.append(piece)
            if deadline.expired():
                raise httpx.ReadTimeout(f"deadline of {deadline.seconds:g} s exceeded", request=request)
        else:
            if not decoder.complete():
                raise CampaignInvalidResponse(request.method, str(request.url), "gzip body is truncated")
    except zlib.error as exc:
        raise CampaignInvalidResponse(request.method, str(request.url), f"body is not valid gzip: {exc}") from None
    body = b"".join(chunks)
    # What `Response.read()` would store: `.content`, `.text` and `.json()` then work as usual.
    response._content = body
    return body


def decode_json(response: httpx.Response, expect: type | None = None) -> Any:
    """The JSON of a read response (None for an empty body); `CampaignInvalidResponse` if it is not JSON.

    `expect` (dict or list) also checks the top-level type. The message names the request, the
    content type and where parsing failed, never the body itself (it may hold personal data).
    """
    request = response.request
    content = response.content
    if not content:
        if expect is not None:
            raise CampaignInvalidResponse(request.method, str(request.url), "empty body where JSON was expected")
        return None
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        where = f": {exc.msg} at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        kind = response.headers.get("Content-Type", "no Content-Type")[:80]
        raise CampaignInvalidResponse(
            request.method, str(request.url),
            f"HTTP {response.status_code} body is not valid JSON ({kind}, {len(content)} bytes){where}",
        ) from None
    if expect is not None and not isinstance(body, expect):
        wanted, got = _JSON_TYPE_NAMES[expect], _JSON_TYPE_NAMES[type(body)]
        raise CampaignInvalidResponse(request.method, str(request.url), f"expected a JSON {wanted}, got {got}")
    return body
