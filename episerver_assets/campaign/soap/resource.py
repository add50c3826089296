"""`CampaignSoapResource`: the Dagster resource that configures and hands out SOAP clients.

The code location builds it with `from_settings` (EPISERVER_SOAP_URL, EPISERVER_CLIENT_ID,
EPISERVER_API_USER, EPISERVER_API_PASSWORD, EPISERVER_SOAP_BATCH_SIZE, EPISERVER_SOAP_READ_TIMEOUT,
validated by `episerver_assets.settings`); whatever is unset points at the local sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import dagster as dg
from pydantic import Field

from ...settings import (
    SANDBOX_API_USER, SANDBOX_CLIENT_ID, SANDBOX_PASSWORD, SANDBOX_SOAP_URL, Settings, load_settings, resolved,
)
from ..errors import redact_url
from ..retry import RetryPolicy
from .client import MAX_BATCH_SIZE, CampaignSoapClient, SoapSettings
from .wsdl import OfflineTransport


@dataclass(frozen=True)
class SoapCheckResult:
    """What `doctor` prints for the SOAP API: where it logged in, and as which client."""

    session_url: str
    client_id: int

    def summary(self) -> str:
        """One line for the doctor output."""
        return f"SOAP API at {self.session_url}: logged in and out as client {self.client_id}"


class CampaignSoapResource(dg.ConfigurableResource):
    """Connection settings of the Campaign SOAP API (Rpc* web services) for one client."""

    soap_url: str = Field(default=SANDBOX_SOAP_URL, description="Base URL up to /soap11.")
    client_id: str = Field(default=str(SANDBOX_CLIENT_ID), description="Campaign client id (the login's mandatorId).")
    api_user: str = Field(default=SANDBOX_API_USER, description="API user with the web service right.")
    api_password: str = Field(default=SANDBOX_PASSWORD, repr=False, description="API user's password.")
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    read_timeout_seconds: float = Field(default=300.0, gt=0, description="addAll3 batches can be slow.")
    batch_size: int = Field(default=1000, ge=1, le=MAX_BATCH_SIZE, description="Recipients per addAll3 call.")
    max_attempts: int = Field(default=4, ge=1, description="Attempts per call, the first one included.")
    backoff_base_seconds: float = Field(default=0.5, ge=0)
    backoff_max_seconds: float = Field(default=30.0, ge=0)

    @classmethod
    def from_settings(cls, settings: Settings) -> CampaignSoapResource:
        """Secrets the user set stay dg.EnvVar references, so the UI shows their names only."""
        return cls(
            soap_url=settings.config("EPISERVER_SOAP_URL"),
            client_id=settings.config("EPISERVER_CLIENT_ID"),
            api_user=settings.config("EPISERVER_API_USER"),
            api_password=settings.config("EPISERVER_API_PASSWORD"),
            batch_size=settings["EPISERVER_SOAP_BATCH_SIZE"],
            read_timeout_seconds=settings["EPISERVER_SOAP_READ_TIMEOUT"],
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CampaignSoapResource:
        """`from_settings` of the environment's (or `environ`'s) validated settings."""
        return cls.from_settings(load_settings(environ))

    def settings(self, policy: RetryPolicy | None = None) -> SoapSettings:
        client_id = str(resolved(self.client_id)).strip()
        if not client_id.isdigit():
            raise ValueError("client_id must be the numeric Campaign client id")
        return SoapSettings(
            soap_url=resolved(self.soap_url),
            client_id=int(client_id),
            api_user=resolved(self.api_user),
            api_password=resolved(self.api_password),
            connect_timeout_seconds=self.connect_timeout_seconds,
            read_timeout_seconds=self.read_timeout_seconds,
            batch_size=self.batch_size,
            retry=policy or RetryPolicy(self.max_attempts, self.backoff_base_seconds, self.backoff_max_seconds),
        )

    def get_client(
        self, transport: OfflineTransport | None = None, policy: RetryPolicy | None = None
    ) -> CampaignSoapClient:
        """A new client (no login yet); the caller closes it. Tests pass `transport` to see the wire."""
        return CampaignSoapClient(self.settings(policy), transport)

    @contextmanager
    def client(self) -> Iterator[CampaignSoapClient]:
        """`with resource.client() as soap:` logs out and closes the connection afterwards."""
        soap = self.get_client()
        try:
            yield soap
        finally:
            soap.close()

    def check(self) -> SoapCheckResult:
        """For `doctor`: one login and logout, no retries, so a broken setup is reported at once."""
        settings = self.settings(RetryPolicy(max_attempts=1))
        with CampaignSoapClient(settings) as soap:
            soap.check()
        return SoapCheckResult(redact_url(f"{settings.soap_url.rstrip('/')}/RpcSession"), settings.client_id)
