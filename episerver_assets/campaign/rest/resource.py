"""`CampaignRestResource`: the Dagster resource that configures and hands out REST clients.

In definitions:

    CampaignRestResource(
        rest_url=dg.EnvVar("EPISERVER_REST_URL"),
        client_id=dg.EnvVar("EPISERVER_CLIENT_ID"),
        api_user=dg.EnvVar("EPISERVER_API_USER"),
        api_password=dg.EnvVar("EPISERVER_API_PASSWORD"),
    )

Defaults point at the local sandbox. Steps using it should join the Dagster pool `campaign_rest`
(see `throttle.py`) so that several processes together stay within the service's limits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import httpx
from pydantic import Field

from ...settings import SANDBOX_API_USER, SANDBOX_CLIENT_ID, SANDBOX_PASSWORD, SANDBOX_REST_URL, resolved
from ..retry import RetryPolicy
from .body import ACCEPT_ENCODING
from .client import CampaignRestClient
from .deadline import deadline_transport
from .http import CallLimits, RestSession
from .models import CheckResult
from .recipients import MAX_BULK_BATCH
from .throttle import shared_throttle


class CampaignRestResource(dg.ConfigurableResource):
    """Connection settings and limits of the Campaign REST API for one client."""

    rest_url: str = Field(default=SANDBOX_REST_URL, description="Base URL up to /rest.")
    client_id: str = Field(default=str(SANDBOX_CLIENT_ID), description="Campaign client id (mandator id), a path segment.")
    api_user: str = Field(default=SANDBOX_API_USER, description="API user (HTTP Basic).")
    api_password: str = Field(default=SANDBOX_PASSWORD, repr=False, description="API user's password (HTTP Basic).")
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    read_timeout_seconds: float = Field(default=120.0, gt=0, description="Recipient pages can be slow.")
    max_connections: int = Field(default=40, ge=1, le=40, description="Campaign allows 40 per client.")
    max_concurrent_recipient_reads: int = Field(
        default=10, ge=1, le=10, description="Concurrent recipient select/count calls; Campaign allows 10."
    )
    call_deadline_seconds: float = Field(
        default=CallLimits.deadline_seconds, gt=0,
        description="Wall-clock limit of one HTTP exchange (connect, headers, whole body); not retried.",
    )
    max_response_bytes: int = Field(
        default=CallLimits.max_response_bytes, ge=1024,
        description="Cap on a decoded response body. A full page of 9999 recipients with a few dozen "
                    "attributes is 10-30 MB; the default leaves room for wide lists.",
    )
    max_pages: int = Field(default=CallLimits.max_pages, ge=1, description="Pages per listing before giving up.")
    max_attempts: int = Field(default=5, ge=1, description="Attempts per request, the first one included.")
    backoff_base_seconds: float = Field(default=0.5, ge=0)
    backoff_max_seconds: float = Field(default=30.0, ge=0)
    page_size: int = Field(default=1000, ge=1, le=9999, description="Must stay below 10000.")
    bulk_batch_size: int = Field(default=MAX_BULK_BATCH, ge=1, le=MAX_BULK_BATCH)

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(self.max_attempts, self.backoff_base_seconds, self.backoff_max_seconds)

    def get_client(self, transport: httpx.BaseTransport | None = None,
                   policy: RetryPolicy | None = None) -> CampaignRestClient:
        """A new client; the caller closes it. `transport`/`policy` let tests stub the wire and clock."""
        rest_url, client_id = resolved(self.rest_url), resolved(self.client_id).strip()
        if not client_id.isdigit():
            raise ValueError("client_id must be the numeric Campaign client id")
        limits = httpx.Limits(max_connections=self.max_connections, max_keepalive_connections=self.max_connections)
        http = httpx.Client(
            auth=httpx.BasicAuth(resolved(self.api_user), resolved(self.api_password)),
            timeout=httpx.Timeout(self.read_timeout_seconds, connect=self.connect_timeout_seconds),
            headers={"Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING},
            follow_redirects=False,
            transport=transport or deadline_transport(rest_url, limits),
        )
        throttle = shared_throttle(rest_url, client_id, self.max_connections, self.max_concurrent_recipient_reads)
        call_limits = CallLimits(self.call_deadline_seconds, self.max_response_bytes, self.max_pages)
        session = RestSession.for_client(http, rest_url, client_id, policy or self.retry_policy(), throttle,
                                         call_limits)
        return CampaignRestClient(session, page_size=self.page_size, batch_size=self.bulk_batch_size)

    @contextmanager
    def client(self) -> Iterator[CampaignRestClient]:
        """`with resource.client() as rest:` closes the connections afterwards."""
        rest = self.get_client()
        try:
            yield rest
        finally:
            rest.close()

    def check(self) -> CheckResult:
        """For `doctor`: one authenticated request, no retries."""
        with self.client() as rest:
            return rest.check()
