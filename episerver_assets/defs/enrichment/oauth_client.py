"""One enrichment's HTTP client: OAuth 2.0 client credentials through authlib's httpx integration.

authlib fetches the token and replaces it before it expires (`leeway`); this module adds what the
seed's services need on top: the configured request parameters (`access_token={token}`, sent instead
of the Bearer header when they carry the token, since RFC 6750 allows one way per request), one
token refresh when the endpoint answers 401 to a token we still thought valid, a deadline per call
and the size cap. Tokens and the secret never reach a log, an error or metadata (SecretsFilter).
"""

from __future__ import annotations

import asyncio
import os
import warnings

import httpx
from authlib.integrations.base_client import OAuthError

with warnings.catch_warnings():
    # authlib 1.9 announces it will move to httpx2 (httpx's successor) and drop httpx; the project's
    # clients are on httpx, and authlib falls back to it. The warning would be printed on every load.
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

from .config import Enrichment
from .http_limits import AnswerTooLarge, CappedTransport
from .secrets_filter import SecretsFilter

LEEWAY_SECONDS = 30.0
"""Replace a token this long before it expires (at most half its lifetime)."""


class EnrichmentAuthorizationError(RuntimeError):
    """No token could be had: nothing is sent, nobody is recorded as failed."""


class EnrichmentClient:
    """`async with EnrichmentClient(enrichment) as client: await client.post(payload, request_id)`."""

    def __init__(self, enrichment: Enrichment, secrets: SecretsFilter):
        auth = enrichment.authorization
        self.enrichment, self.secrets = enrichment, secrets
        self.token_url = enrichment.expanded("authorization.token_url", auth.token_url)
        self.url = enrichment.expanded("url", enrichment.url)
        secret = os.environ.get(auth.client_secret_env) or _registered_default(auth.client_secret_env)
        if not secret:
            raise EnrichmentAuthorizationError(
                f"{enrichment.located('authorization.client_secret_env')}: environment variable "
                f"{auth.client_secret_env} is not set")
        secrets.add(secret)
        self.token_in_params = any("{token}" in value for value in auth.request_params.values())
        self.tokens_fetched = 0
        self._refresh_lock = asyncio.Lock()
        self._http = AsyncOAuth2Client(
            client_id=auth.client_id, client_secret=secret, scope=auth.scope, token_endpoint=self.token_url,
            grant_type="client_credentials", leeway=LEEWAY_SECONDS,
            timeout=httpx.Timeout(enrichment.timeout_seconds),
            limits=httpx.Limits(max_connections=enrichment.concurrency),
            transport=CappedTransport(enrichment.max_response_bytes, httpx.AsyncHTTPTransport()),
        )

    async def __aenter__(self) -> EnrichmentClient:
        await self.fetch_token()
        return self

    async def __aexit__(self, *exc) -> None:
        await self._http.aclose()

    async def fetch_token(self) -> None:
        try:
            async with asyncio.timeout(self.enrichment.timeout_seconds):
                token = await self._http.fetch_token(self.token_url, grant_type="client_credentials")
        except (OAuthError, httpx.HTTPError, AnswerTooLarge, TimeoutError, ValueError) as error:
            problem = self.secrets.mask(f"{error.__class__.__name__}: {error}".strip(": "))
            raise EnrichmentAuthorizationError(
                f"enrichment {self.enrichment.slug}: no access token from {_without_query(self.token_url)}: "
                f"{problem}") from None
        self.secrets.add(token.get("access_token"))
        self.tokens_fetched += 1
        lifetime = float(token.get("expires_in") or 0)
        self._http.leeway = min(LEEWAY_SECONDS, lifetime / 2) if lifetime else LEEWAY_SECONDS

    async def _current_token(self) -> str:
        async with self._refresh_lock:
            if self._http.token.is_expired(leeway=self._http.leeway):
                await self.fetch_token()
            return self._http.token["access_token"]

    async def refresh_after_401(self, refused_token: str) -> None:
        """A new token unless another request has already replaced the refused one."""
        async with self._refresh_lock:
            if self._http.token["access_token"] == refused_token:
                await self.fetch_token()

    async def post(self, payload: dict, request_id: str) -> tuple[httpx.Response, bytes, str]:
        """One attempt within the deadline: (response, body, the token it carried)."""
        token = await self._current_token()
        params = {name: value.replace("{token}", token)
                  for name, value in self.enrichment.authorization.request_params.items()}
        headers = {"X-Request-Id": request_id}
        if not self.token_in_params:
            headers["Authorization"] = f"Bearer {token}"
        async with asyncio.timeout(self.enrichment.timeout_seconds):
            response = await self._http.request("POST", self.url, json=payload, params=params, headers=headers,
                                             withhold_token=True)
        return response, response.content, token


def _registered_default(name: str) -> str | None:
    """The sandbox's secret when its variable is a registered setting left unset (the default file)."""
    from ...settings import SETTINGS, setting_value

    return setting_value(name) if name in SETTINGS else None


def _without_query(url: str) -> str:
    return url.split("?", 1)[0]
