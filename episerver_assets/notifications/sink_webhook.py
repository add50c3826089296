"""The webhook sink: the notification as one JSON POST, with a deadline and a cap on the answer's size.

The URL is never logged beyond its scheme, host and port (chat webhooks carry their secret in the
path); the optional auth header's value comes from an environment variable named in the config.
"""

from __future__ import annotations

import os
import time
from typing import Literal
from urllib.parse import urlsplit

import dagster as dg
import httpx
from pydantic import Field, field_validator

from .sink_base import Notification, SinkConfig, SinkError


class WebhookSink(SinkConfig):
    type: Literal["webhook"]
    url: str = Field(description="http(s) URL the JSON is posted to")
    auth_header: str = Field(default="Authorization", description="header carrying the value of auth_env")
    auth_env: str | None = Field(default=None, description="environment variable holding the header's value")
    timeout_seconds: float = Field(default=10, gt=0, le=300, description="deadline of the whole request")
    max_response_bytes: int = Field(default=65536, ge=0, le=10 * 1024 * 1024)

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        return url

    def describe(self) -> str:
        parts = urlsplit(self.url)
        return f"webhook {parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")

    def _headers(self) -> dict[str, str]:
        if self.auth_env is None:
            return {}
        value = os.environ.get(self.auth_env)
        if not value:
            raise SinkError(f"{self.describe()}: {self.auth_env} is not set")
        return {self.auth_header: value}

    def send(self, notification: Notification, log: dg.DagsterLogManager) -> None:
        payload = {"kind": notification.kind.value, "subject": notification.subject, "body": notification.body,
                   "run": notification.run}
        deadline = time.monotonic() + self.timeout_seconds
        try:
            with httpx.Client(timeout=self.timeout_seconds, follow_redirects=False) as client:
                with client.stream("POST", self.url, json=payload, headers=self._headers()) as response:
                    self._drain(response, deadline)
        except httpx.TimeoutException:
            raise SinkError(f"{self.describe()}: no answer within {self.timeout_seconds:g} s") from None
        except httpx.HTTPError as error:
            raise SinkError(f"{self.describe()}: {type(error).__name__}") from None
        if not response.is_success:
            raise SinkError(f"{self.describe()}: HTTP {response.status_code}")

    def _drain(self, response: httpx.Response, deadline: float) -> None:
        """Read (and drop) the answer within the deadline and the size cap."""
        received = 0
        for chunk in response.iter_raw():
            received += len(chunk)
            if received > self.max_response_bytes:
                raise SinkError(f"{self.describe()}: answer larger than {self.max_response_bytes} bytes")
            if time.monotonic() > deadline:
                raise SinkError(f"{self.describe()}: no complete answer within {self.timeout_seconds:g} s")
