"""The HTTP core of the REST client: URLs, throttled and bounded sends with retries.

Error responses are mapped to exceptions in `error_responses.py`; paging lives in `paging.py`.

Retry rule (see also the per-operation table in `client.py`):
- 429, and connection failures before the request left (connect error/timeout, pool timeout): the
  service did nothing, so every request is sent again after a backoff (Retry-After honoured).
- 5xx, read/write timeouts, dropped connections: the effect is unknown. Repeatable requests (reads,
  idempotent writes) are sent again; other writes raise `CampaignOutcomeUnknown` at once and the
  operation decides, usually by reading the server's state first (`write_checked`).
- Never retried, because the same request would meet the same server: an exchange that outlasts its
  deadline (`CampaignDeadlineExceeded`, or `CampaignOutcomeUnknown` for a write not safe to repeat),
  a body over the size cap, a body that is not JSON, any 3xx (redirects are never followed).

Every exchange (connect, request, headers, whole body) has a wall-clock deadline and its decoded body
a size cap (`CallLimits`), enforced while it streams in (`deadline.py`, `body.py`).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar
from urllib.parse import quote

import httpx

from ..errors import (
    CampaignConfigError,
    CampaignConnectionError,
    CampaignDeadlineExceeded,
    CampaignOutcomeUnknown,
    CampaignUnexpectedRedirect,
)
from ..retry import RetryPolicy, parse_retry_after
from .body import decode_json, read_body
from .bulk_body import EncodedJson
from .deadline import Deadline
from .error_responses import http_error, request_url
from .log_privacy import install as install_log_privacy
from .paging import iterate_pages
from .throttle import Throttle

# Before any request: httpx would log each request's URL, recipient addresses included.
install_log_privacy()

logger = logging.getLogger("episerver_assets.campaign.rest")

T = TypeVar("T")

# Failures where the request provably never reached the service.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

_JSON_CONTENT = {"Content-Type": "application/json"}

ERROR_BODY_BYTES = 64 * 1024
"""An error response is read only for its message: the rest of a longer body is dropped."""


@dataclass(frozen=True)
class CallLimits:
    """Bounds of one call: wall-clock seconds per HTTP exchange, decoded body bytes, pages per listing."""

    deadline_seconds: float = 180.0
    max_response_bytes: int = 64 * 1024 * 1024
    max_pages: int = 100_000


class _Failure(NamedTuple):
    """An attempt that may be retried: why, whether its effect is unknown, and what the server asked."""

    reason: str
    effect_unknown: bool
    retry_after: float | None
    cause: httpx.Response | httpx.TransportError


class Safety(enum.Enum):
    """Whether a request may be sent again when its effect is unknown."""

    REPEATABLE = "repeatable"
    NOT_REPEATABLE = "not-repeatable"


class RestSession:
    """Sends requests for one Campaign client: throttled, retried, bounded, errors typed."""

    def __init__(self, http: httpx.Client, base: str, policy: RetryPolicy, throttle: Throttle,
                 limits: CallLimits | None = None) -> None:
        self.http = http
        self.base = base.rstrip("/")
        self.policy = policy
        self.throttle = throttle
        self.limits = limits or CallLimits()

    @classmethod
    def for_client(cls, http: httpx.Client, rest_url: str, client_id: str, policy: RetryPolicy,
                   throttle: Throttle, limits: CallLimits | None = None) -> RestSession:
        """A session for `{rest_url}/{client_id}/...` (the client id is a path segment)."""
        return cls(http, f"{rest_url.rstrip('/')}/{quote(str(client_id), safe='')}", policy, throttle, limits)

    def reconfigured(self, *, policy: RetryPolicy | None = None, limits: CallLimits | None = None) -> RestSession:
        """The same connection pool and throttle with another retry policy and/or other limits."""
        return RestSession(self.http, self.base, policy or self.policy, self.throttle, limits or self.limits)

    def url(self, *segments: object) -> str:
        """Absolute URL of an API path; every segment is percent-encoded (ids may hold '/', '@', '+')."""
        return "/".join([self.base, *(quote(str(s), safe="") for s in segments)])

    def send(self, method: str, url: str, *, params: dict[str, Any] | None = None,
             data: Any = None, json: Any = None, safety: Safety = Safety.REPEATABLE,
             recipient_read: bool = False) -> httpx.Response:
        """Send one request, retrying transient failures as the module rule says; a read 2xx returned."""
        return self.send_tracked(method, url, params=params, data=data, json=json, safety=safety,
                                 recipient_read=recipient_read)[0]

    def send_tracked(self, method: str, url: str, *, params: dict[str, Any] | None = None,
                     data: Any = None, json: Any = None, safety: Safety = Safety.REPEATABLE,
                     recipient_read: bool = False) -> tuple[httpx.Response, bool]:
        """`send`, also telling whether the request was resent after an attempt with unknown effect."""
        attempt, resent_after_unknown = 0, False
        while True:
            attempt += 1
            with self.throttle.slot(recipient_read):
                outcome = self._attempt(method, url, params, data, json, safety)
            if isinstance(outcome, httpx.Response):
                return outcome, resent_after_unknown
            reason, effect_unknown, retry_after, failure = outcome
            full_url = request_url(failure, url)
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

    def _attempt(self, method: str, url: str, params: dict[str, Any] | None, data: Any, json: Any,
                 safety: Safety) -> httpx.Response | _Failure:
        """One exchange under its deadline: the read response, a retryable failure, or a raised error."""
        deadline = Deadline(self.limits.deadline_seconds)
        try:
            with deadline.applied():
                response = self._exchange(method, url, params, data, json, deadline)
        except httpx.UnsupportedProtocol as exc:
            raise CampaignConfigError(f"REST URL {request_url(exc, url)} is unusable: {exc}") from exc
        except httpx.TransportError as exc:
            effect_unknown = not isinstance(exc, _NOT_SENT)
            if not deadline.expired():
                return _Failure(f"{type(exc).__name__}: {exc}", effect_unknown, None, exc)
            full_url = request_url(exc, url)
            if effect_unknown and safety is Safety.NOT_REPEATABLE:
                raise CampaignOutcomeUnknown(method, full_url, f"deadline of {deadline.seconds:g} s exceeded") from exc
            raise CampaignDeadlineExceeded(method, full_url, deadline.seconds, effect_unknown=effect_unknown) from exc
        status = response.status_code
        if status < 400:
            return response
        if status != 429 and status < 500:
            raise http_error(response)
        return _Failure(f"HTTP {status}", status >= 500, parse_retry_after(response.headers.get("Retry-After")),
                        response)

    def _exchange(self, method: str, url: str, params: dict[str, Any] | None, data: Any, json: Any,
                  deadline: Deadline) -> httpx.Response:
        """Send and read the whole body under the size cap; any 3xx is refused, never followed."""
        if isinstance(json, EncodedJson):  # pre-encoded (bulk_body.py): sent as is
            request = self.http.build_request(method, url, params=params, content=json, headers=_JSON_CONTENT)
        else:
            request = self.http.build_request(method, url, params=params, data=data, json=json)
        response = self.http.send(request, stream=True)
        try:
            status = response.status_code
            if 300 <= status < 400:
                raise CampaignUnexpectedRedirect(method, str(request.url), status, response.headers.get("Location"))
            limit = self.limits.max_response_bytes
            read_body(response, limit=min(limit, ERROR_BODY_BYTES) if status >= 400 else limit,
                      deadline=deadline, truncate=status >= 400)
        finally:
            response.close()
        return response

    def send_json(self, method: str, url: str, *, expect: type | None = None, **kwargs: Any) -> Any:
        """`send` and decode the JSON body (None for an empty body, e.g. 204, unless `expect` says
        which JSON type the body must be); `CampaignInvalidResponse` when it is not that JSON."""
        return decode_json(self.send(method, url, **kwargs), expect)

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
        """Yield the `elements` of each page, following `links` rel=next (checked: `paging.py`).

        If a body carries no `links` at all, the next page is requested by offset while pages come
        back full. `page_size=None` for endpoints without an offset parameter (links only). The
        throttle slot is held per request only, never while the caller consumes a page.
        """
        return iterate_pages(self, url, params, page_size=page_size, recipient_read=recipient_read)
