"""Exception types shared by the REST, SOAP and SFTP Campaign clients.

Every error says which request failed (method and URL, or SOAP operation, or SFTP path) but never
carries credentials or addresses: URLs are stripped of any userinfo part, e-mail addresses in them
are masked, and no header is ever copied in.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

PERSONAL_DATA_MASK = "***"


def redact_url(url: str) -> str:
    """Return `url` without a `user:password@` part and with e-mail addresses in its path or query
    (recipient ids are often addresses) masked, so it is safe in messages and logs."""
    parts = urlsplit(str(url))
    host = parts.netloc
    if parts.username is not None or parts.password is not None:
        host = (parts.hostname or "") + (f":{parts.port}" if parts.port is not None else "")
    path = "/".join(_masked(segment) for segment in parts.path.split("/"))
    query = "&".join(_masked_parameter(pair) for pair in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, host, path, query, parts.fragment))


_ADDRESS = re.compile(r"[^\s'\"<>()\[\],;:@]+@[^\s'\"<>()\[\],;:@]+\.[^\s'\"<>()\[\],;:@]+")


def mask_addresses(text: str) -> str:
    """`text` with every e-mail address replaced by ***: service messages quote recipient ids."""
    return _ADDRESS.sub(PERSONAL_DATA_MASK, text)


def _masked(text: str) -> str:
    return PERSONAL_DATA_MASK if "@" in unquote(text) else text


def _masked_parameter(pair: str) -> str:
    name, separator, value = pair.partition("=")
    if not separator:
        return _masked(pair)
    return f"{name}={','.join(_masked(item) for item in value.split(','))}"


class CampaignError(Exception):
    """Base class of every error raised by the Campaign clients."""


class CampaignConfigError(CampaignError):
    """The client is configured wrongly (missing URL, bad credentials format, ...)."""


class CampaignConnectionError(CampaignError):
    """The request could not be completed on the wire (connect failure, timeout, dropped reply).

    `effect_unknown` is True when the request may have reached the server (a write may have happened).
    """

    def __init__(self, method: str, url: str, reason: str, *, effect_unknown: bool = False) -> None:
        self.method = method
        self.url = redact_url(url)
        self.reason = reason
        self.effect_unknown = effect_unknown
        super().__init__(f"{method} {self.url} failed: {reason}")


class CampaignDeadlineExceeded(CampaignConnectionError):
    """One HTTP exchange (connect, headers and the whole body) outlasted its wall-clock deadline.

    Raised for a server that answers too slowly or drips its answer; never retried, since the
    deadline is the caller's budget for the call. `effect_unknown` as for any connection error.
    """

    def __init__(self, method: str, url: str, seconds: float, *, effect_unknown: bool) -> None:
        self.seconds = seconds
        super().__init__(method, url, f"deadline of {seconds:g} s exceeded", effect_unknown=effect_unknown)


class CampaignProtocolError(CampaignError):
    """The server answered, but not as the API promises (bad body, redirect, runaway paging).

    Never retried: the same request would get the same broken answer.
    """

    def __init__(self, method: str, url: str, reason: str) -> None:
        self.method = method
        self.url = redact_url(url)
        self.reason = reason
        super().__init__(f"{method} {self.url}: {reason}")


class CampaignInvalidResponse(CampaignProtocolError):
    """A body that is not the JSON the API documents (HTML error page, truncated or malformed JSON)."""


class CampaignResponseTooLarge(CampaignProtocolError):
    """A body (counted after decompression) larger than the configured cap; reading stopped there."""

    def __init__(self, method: str, url: str, limit: int) -> None:
        self.limit = limit
        super().__init__(method, url, f"response body exceeds the cap of {limit} bytes")


class CampaignUnexpectedRedirect(CampaignProtocolError):
    """A 3xx answer: the API never redirects, and following one could send credentials elsewhere."""

    def __init__(self, method: str, url: str, status: int, location: str | None) -> None:
        self.status = status
        self.location = redact_url(location) if location else None
        target = f" to {self.location}" if self.location else ""
        super().__init__(method, url, f"unexpected redirect HTTP {status}{target} (not followed)")


class CampaignPagingError(CampaignProtocolError):
    """Paging went wrong: a link repeats a page, leaves the API, or there are more pages than allowed."""


class CampaignOutcomeUnknown(CampaignError):
    """A write that is not safe to repeat failed in a way that leaves its effect unknown.

    Raised instead of a blind retry: the request may or may not have changed data on the server
    (the reply was lost, timed out, or was a 5xx). `status` is the HTTP status, or None when no reply
    arrived. Callers look at the server's state before deciding to send it again.
    """

    def __init__(self, method: str, url: str, reason: str, status: int | None = None) -> None:
        self.method = method
        self.url = redact_url(url)
        self.reason = reason
        self.status = status
        super().__init__(f"{method} {self.url}: outcome unknown after {reason}")


class CampaignHttpError(CampaignError):
    """An HTTP response with an error status (4xx/5xx) from the Campaign REST API."""

    def __init__(
        self,
        status: int,
        message: str,
        method: str,
        url: str,
        *,
        error_code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.message = mask_addresses(message)
        self.method = method
        self.url = redact_url(url)
        self.error_code = error_code
        self.retry_after = retry_after
        super().__init__(f"{method} {self.url} -> HTTP {status}: {self.message}")


class CampaignAuthError(CampaignHttpError):
    """HTTP 401/403: wrong API user, password or client id, or the user lacks the right."""


class CampaignNotFound(CampaignHttpError):
    """HTTP 404: the list, recipient, webhook, ... does not exist."""


class CampaignConflict(CampaignHttpError):
    """HTTP 409: e.g. the recipient already exists."""


class CampaignRateLimited(CampaignHttpError):
    """HTTP 429 that persisted after all retries."""


class CampaignServerError(CampaignHttpError):
    """HTTP 5xx that persisted after all retries."""


class CampaignRefusedOperation(CampaignError):
    """The client refused to send a request because it would be dangerous (e.g. delete a whole list)."""


class CampaignSoapFault(CampaignError):
    """A SOAP fault returned by a Campaign SOAP web service."""

    def __init__(self, operation: str, fault_code: str | None, message: str, url: str = "") -> None:
        self.operation = operation
        self.fault_code = fault_code
        self.message = mask_addresses(message)
        self.url = redact_url(url)
        where = f" at {self.url}" if self.url else ""
        super().__init__(f"SOAP {operation}{where} fault {fault_code or '?'}: {self.message}")


class CampaignSessionExpired(CampaignSoapFault):
    """The SOAP session id is no longer valid; the caller should log in again."""


class CampaignSftpError(CampaignError):
    """An SFTP operation failed (connect, authenticate, host key, list, get, put, rename)."""

    def __init__(self, operation: str, path: str, message: str) -> None:
        self.operation = operation
        self.path = path
        self.message = message
        super().__init__(f"SFTP {operation} {path}: {message}")


class CampaignHostKeyError(CampaignSftpError):
    """The SFTP server's host key does not match the known_hosts entry or fingerprint."""
