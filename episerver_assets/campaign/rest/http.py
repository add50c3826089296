"""The HTTP core of the REST client: URLs, throttled sends with retries, error mapping and paging.

Retry rule (see also the per-operation table in `client.py`):
- 429, and connection failures before the request left (connect error/timeout, pool timeout): the
  service did nothing, so every request is sent again after a backoff (Retry-After honoured).
- 5xx, read/write timeouts, dropped connections: the effect is unknown. Repeatable requests (reads,
  idempotent writes) are sent again; other writes raise `CampaignOutcomeUnknown` at once and the
  operation decides, usually by reading the server's state first (`write_checked`).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import quote, urljoin, urlsplit

import httpx

from ..errors import (
    CampaignAuthError,
    CampaignConfigError,
    CampaignConflict,
    CampaignConnectionError,
    CampaignError,
    CampaignHttpError,
    CampaignNotFound,
    CampaignOutcomeUnknown,
    CampaignRateLimited,
    CampaignServerError,
)
from ..retry import RetryPolicy, parse_retry_after
from .throttle import Throttle

logger = logging.getLogger("episerver_assets.campaign.rest")

T = TypeVar("T")

# Failures where the request provably never reached the service.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class Safety(enum.Enum):
    """Whether a request may be sent again when its effect is unknown."""

    REPEATABLE = "repeatable"
    NOT_REPEATABLE = "not-repeatable"


def error_message(response: httpx.Response) -> str:
    """The service's error text (`errorMessage` of the JSON error body), else a short body excerpt."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("errorMessage", "message", "error"):
            if body.get(key):
                return str(body[key])
    return response.text[:300] or response.reason_phrase


def http_error(response: httpx.Response) -> CampaignHttpError:
    """Map an error response to the most specific exception type."""
    status = response.status_code
    kind = {401: CampaignAuthError, 403: CampaignAuthError, 404: CampaignNotFound, 409: CampaignConflict,
            429: CampaignRateLimited}.get(status, CampaignServerError if status >= 500 else CampaignHttpError)
    code = None
    try:
        body = response.json()
        code = str(body.get("errorCode")) if isinstance(body, dict) and body.get("errorCode") else None
    except ValueError:
        pass
    return kind(
        status, error_message(response), response.request.method, str(response.request.url),
        error_code=code, retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )


def _request_url(failure: httpx.Response | httpx.TransportError, fallback: str) -> str:
    """The URL as sent, query included, when the failure still knows its request."""
    try:
        return str(failure.request.url)
    except RuntimeError:  # an httpx exception raised without a request attached
        return fallback


class RestSession:
    """Sends requests for one Campaign client: throttled, retried, errors typed."""

    def __init__(self, http: httpx.Client, base: str, policy: RetryPolicy, throttle: Throttle) -> None:
        self.http = http
        self.base = base.rstrip("/")
        self.policy = policy
        self.throttle = throttle

    @classmethod
    def for_client(cls, http: httpx.Client, rest_url: str, client_id: str, policy: RetryPolicy,
                   throttle: Throttle) -> RestSession:
        """A session for `{rest_url}/{client_id}/...` (the client id is a path segment)."""
        return cls(http, f"{rest_url.rstrip('/')}/{quote(str(client_id), safe='')}", policy, throttle)

    def with_policy(self, policy: RetryPolicy) -> RestSession:
        """The same connection pool and throttle with another retry policy."""
        return RestSession(self.http, self.base, policy, self.throttle)

    def url(self, *segments: object) -> str:
        """Absolute URL of an API path; every segment is percent-encoded (ids may hold '/', '@', '+')."""
        return "/".join([self.base, *(quote(str(s), safe="") for s in segments)])

    def send(self, method: str, url: str, *, params: dict[str, Any] | None = None,
             data: Any = None, json: Any = None, safety: Safety = Safety.REPEATABLE,
             recipient_read: bool = False) -> httpx.Response:
        """Send one request, retrying transient failures as the module rule says; 2xx/3xx returned."""
        return self.send_tracked(method, url, params=params, data=data, json=json, safety=safety,
                                 recipient_read=recipient_read)[0]

    def send_tracked(self, method: str, url: str, *, params: dict[str, Any] | None = None,
                     data: Any = None, json: Any = None, safety: Safety = Safety.REPEATABLE,
                     recipient_read: bool = False) -> tuple[httpx.Response, bool]:
        """`send`, also telling whether the request was resent after an attempt with unknown effect."""
        attempt, resent_after_unknown = 0, False
        while True:
            attempt += 1
            effect_unknown, retry_after, reason, failure = False, None, "", None
            try:
                with self.throttle.slot(recipient_read):
                    response = self.http.request(method, url, params=params, data=data, json=json)
            except httpx.UnsupportedProtocol as exc:
                raise CampaignConfigError(f"REST URL {_request_url(exc, url)} is unusable: {exc}") from exc
            except _NOT_SENT as exc:
                reason, failure = f"{type(exc).__name__}: {exc}", exc
            except httpx.TransportError as exc:
                effect_unknown, reason, failure = True, f"{type(exc).__name__}: {exc}", exc
            else:
                status = response.status_code
                if status < 400:
                    return response, resent_after_unknown
                if status != 429 and status < 500:
                    raise http_error(response)
                effect_unknown = status >= 500
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                reason = f"HTTP {status}"
                failure = response
            full_url = _request_url(failure, url)
            if effect_unknown and safety is Safety.NOT_REPEATABLE:
                status = failure.status_code if isinstance(failure, httpx.Response) else None
                raise CampaignOutcomeUnknown(method, full_url, reason, status)
            if not self.policy.may_retry(attempt):
                if isinstance(failure, httpx.Response):
                    raise http_error(failure)
                raise CampaignConnectionError(method, full_url, reason, effect_unknown=effect_unknown) from failure
            resent_after_unknown = resent_after_unknown or effect_unknown
            delay = self.policy.delay(attempt, retry_after)
            logger.warning(
                "Retrying %s %s after %s (attempt %d of %d failed; waiting %.2fs%s)",
                method, full_url, reason, attempt, self.policy.max_attempts, delay,
                ", as Retry-After asks" if retry_after is not None else "",
            )
            if delay > 0:
                self.policy.sleep(delay)

    def send_json(self, method: str, url: str, **kwargs: Any) -> Any:
        """`send` and decode the JSON body (None for an empty body, e.g. 204)."""
        response = self.send(method, url, **kwargs)
        return response.json() if response.content else None

    def write_checked(self, what: str, send: Callable[[], T], check: Callable[[], T | None]) -> T:
        """Send a write that is unsafe to repeat blindly; after a lost outcome, look before resending.

        `check` reads the server's state and returns the write's result if it already took effect,
        or None if it did not (then the write is sent again, after a backoff).
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return send()
            except CampaignOutcomeUnknown as lost:
                found = check()
                if found is not None:
                    logger.warning("%s: outcome of %s was lost; a read shows it took effect", what, lost.reason)
                    return found
                if not self.policy.may_retry(attempt):
                    raise
                delay = self.policy.delay(attempt)
                logger.warning(
                    "Retrying %s after %s (attempt %d of %d failed; a read shows no effect; waiting %.2fs)",
                    what, lost.reason, attempt, self.policy.max_attempts, delay,
                )
                if delay > 0:
                    self.policy.sleep(delay)

    def pages(self, url: str, params: dict[str, Any], *, page_size: int | None,
              recipient_read: bool = False) -> Iterator[list[dict]]:
        """Yield the `elements` of each page, following `links` rel=next.

        If a body carries no `links` at all, the next page is requested by offset while pages come
        back full. `page_size=None` for endpoints without an offset parameter (links only). The
        throttle slot is held per request only, never while the caller consumes a page.
        """
        query: dict[str, Any] | None = dict(params)
        offset = 0
        if page_size is not None:
            query.update(offset=offset, limit=page_size)
        while True:
            response = self.send("GET", url, params=query, recipient_read=recipient_read)
            body = response.json()
            elements = body.get("elements") or []
            yield elements
            next_href = next((link.get("href") for link in body.get("links") or []
                              if link.get("rel") == "next" and link.get("href")), None)
            if next_href:
                url, query = self._same_api(urljoin(str(response.request.url), next_href)), None
            elif "links" not in body and page_size is not None and len(elements) >= page_size > 0:
                offset += len(elements)
                query = {**params, "offset": offset, "limit": page_size}
            else:
                return

    def _same_api(self, url: str) -> str:
        """Refuse a next link that leaves the API: the Basic credentials must not go elsewhere."""
        mine, theirs = urlsplit(self.base), urlsplit(url)
        if (mine.scheme, mine.netloc) != (theirs.scheme, theirs.netloc) or not theirs.path.startswith(mine.path):
            raise CampaignError(f"paging link {theirs.scheme}://{theirs.netloc}{theirs.path} leaves the API at {mine.netloc}")
        return url
