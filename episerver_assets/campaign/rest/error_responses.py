"""Error responses of the REST API mapped to typed exceptions, with the service's own message."""

from __future__ import annotations

import httpx

from ..errors import (
    CampaignAuthError,
    CampaignConflict,
    CampaignHttpError,
    CampaignNotFound,
    CampaignRateLimited,
    CampaignServerError,
)
from ..retry import parse_retry_after


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


def request_url(failure: httpx.Response | httpx.TransportError, fallback: str) -> str:
    """The URL as sent, query included, when the failure still knows its request."""
    try:
        return str(failure.request.url)
    except RuntimeError:  # an httpx exception raised without a request attached
        return fallback
