"""`CampaignSoapResource`: the Dagster resource that configures and hands out SOAP clients.

In definitions, `CampaignSoapResource.from_env()` reads EPISERVER_SOAP_URL, EPISERVER_CLIENT_ID,
EPISERVER_API_USER, EPISERVER_API_PASSWORD (and optionally EPISERVER_SOAP_BATCH_SIZE,
EPISERVER_SOAP_READ_TIMEOUT); whatever is unset points at the local sandbox.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import dagster as dg
from pydantic import Field

from ..errors import redact_url
from ..retry import RetryPolicy
from .client import MAX_BATCH_SIZE, CampaignSoapClient, SoapSettings
from .wsdl import OfflineTransport

SANDBOX_SOAP_URL = "http://127.0.0.1:8765/soap11"


def _resolved(value: Any) -> Any:
    """The value behind a dg.EnvVar when the resource is used outside a Dagster run."""
    return value.get_value() if isinstance(value, dg.EnvVar) else value


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
    client_id: str = Field(default="1000", description="Campaign client id (the login's mandatorId).")
    api_user: str = Field(default="sandbox-api", description="API user with the web service right.")
    api_password: str = Field(default="sandbox-secret", repr=False, description="API user's password.")
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    read_timeout_seconds: float = Field(default=300.0, gt=0, description="addAll3 batches can be slow.")
    batch_size: int = Field(default=1000, ge=1, le=MAX_BATCH_SIZE, description="Recipients per addAll3 call.")
    max_attempts: int = Field(default=4, ge=1, description="Attempts per call, the first one included.")
    backoff_base_seconds: float = Field(default=0.5, ge=0)
    backoff_max_seconds: float = Field(default=30.0, ge=0)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CampaignSoapResource:
        """Configure from the environment; set variables stay dg.EnvVar references (UI shows names only)."""
        env = os.environ if environ is None else environ

        def setting(name: str, default: str) -> Any:
            return dg.EnvVar(name) if env.get(name) else default

        optional: dict[str, Any] = {}
        if env.get("EPISERVER_SOAP_BATCH_SIZE"):
            optional["batch_size"] = int(env["EPISERVER_SOAP_BATCH_SIZE"])
        if env.get("EPISERVER_SOAP_READ_TIMEOUT"):
            optional["read_timeout_seconds"] = float(env["EPISERVER_SOAP_READ_TIMEOUT"])
        return cls(
            soap_url=setting("EPISERVER_SOAP_URL", SANDBOX_SOAP_URL),
            client_id=setting("EPISERVER_CLIENT_ID", "1000"),
            api_user=setting("EPISERVER_API_USER", "sandbox-api"),
            api_password=setting("EPISERVER_API_PASSWORD", "sandbox-secret"),
            **optional,
        )

    def settings(self, policy: RetryPolicy | None = None) -> SoapSettings:
        client_id = str(_resolved(self.client_id)).strip()
        if not client_id.isdigit():
            raise ValueError("client_id must be the numeric Campaign client id")
        return SoapSettings(
            soap_url=_resolved(self.soap_url),
            client_id=int(client_id),
            api_user=_resolved(self.api_user),
            api_password=_resolved(self.api_password),
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
