"""Paging through Campaign's list endpoints, bounded against servers that loop or lead elsewhere.

A page's `links` rel=next is followed only within our own API (same scheme, host and port, path
under `{rest_path}/{client_id}/`, no user info, no dot segments): the Basic credentials go with
every request. A link that comes back to a page already read, or more pages than `max_pages`,
ends the iteration with `CampaignPagingError` instead of paging forever.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin

import httpx

from ..errors import CampaignInvalidResponse, CampaignPagingError, redact_url
from .body import decode_json

if TYPE_CHECKING:
    from .http import RestSession

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)


def _shown(url: httpx.URL) -> str:
    """A link as it may appear in a message: no user info, no query."""
    return redact_url(str(url.copy_with(query=None, fragment=None)))


def checked_next_link(base: str, page_url: str, href: str) -> str:
    """The absolute URL of a next link found on `page_url`, if it stays under `base` (else an error)."""
    try:
        link = httpx.URL(urljoin(page_url, href))
    except (httpx.InvalidURL, ValueError) as exc:
        raise CampaignPagingError("GET", page_url, f"next link is not a valid URL: {exc}") from None
    home = httpx.URL(base.rstrip("/") + "/")
    path = link.raw_path.split(b"?", 1)[0].decode("ascii")
    dot_segments = {".", ".."} & {unquote(segment) for segment in path.split("/")}
    if (_origin(link) != _origin(home) or link.userinfo or dot_segments
            or not path.startswith(home.raw_path.decode("ascii"))):
        raise CampaignPagingError("GET", page_url, f"next link {_shown(link)} leaves the API at {_shown(home)}")
    return str(link)


def _page(response: httpx.Response) -> tuple[list[dict], str | None, bool]:
    """Elements, next href and whether the body carries `links` at all; the envelope is checked."""
    body = decode_json(response, dict)
    elements, links = body.get("elements") or [], body.get("links")
    if not isinstance(elements, list) or not isinstance(links or [], list):
        raise CampaignInvalidResponse(response.request.method, str(response.request.url),
                                      "page body has no list of elements and links")
    next_href = next((link.get("href") for link in links or []
                      if isinstance(link, dict) and link.get("rel") == "next" and link.get("href")), None)
    if next_href is not None and not isinstance(next_href, str):
        raise CampaignInvalidResponse(response.request.method, str(response.request.url), "next link is not text")
    return elements, next_href, "links" in body


def iterate_pages(session: RestSession, url: str, params: dict[str, Any], *, page_size: int | None,
                  recipient_read: bool = False) -> Iterator[list[dict]]:
    """Yield the `elements` of each page, following `links` rel=next (see `RestSession.pages`)."""
    query: dict[str, Any] | None = dict(params)
    offset = 0
    if page_size is not None:
        query.update(offset=offset, limit=page_size)
    seen: set[str] = set()
    while True:
        if len(seen) >= session.limits.max_pages:
            raise CampaignPagingError("GET", url, f"more than {session.limits.max_pages} pages; stopped there")
        response = session.send("GET", url, params=query, recipient_read=recipient_read)
        page_url = str(response.request.url)
        seen.add(page_url)
        elements, next_href, has_links = _page(response)
        yield elements
        if next_href:
            url, query = checked_next_link(session.base, page_url, next_href), None
            if str(httpx.URL(url)) in seen:
                raise CampaignPagingError("GET", page_url, f"next link {_shown(httpx.URL(url))} repeats a page "
                                                           "already read")
        elif not has_links and page_size is not None and len(elements) >= page_size > 0:
            offset += len(elements)
            query = {**params, "offset": offset, "limit": page_size}
        else:
            return
