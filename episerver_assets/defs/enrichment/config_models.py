"""The enrichments file's entries as pydantic models: what each key may hold (config.py loads the file)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ...settings import setting_value

NAME = r"^[a-z][a-z0-9_]{0,62}$"
RESERVED_STREAMS = frozenset({"enrichment_ledger", "enrichment_state"})
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class EnrichmentConfigError(ValueError):
    """The file cannot be used; the message is one line naming file, position, enrichment and key."""


class Authorization(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    token_url: str = Field(min_length=1)
    client_id: str = Field(min_length=1)
    client_secret_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    client_secret: None = Field(default=None, description="refused: secrets never live in the file")
    scope: str | None = None
    request_params: dict[str, str] = Field(default_factory=dict)

    @field_validator("client_secret", mode="before")
    @classmethod
    def _no_secret_in_file(cls, value: Any) -> None:
        if value is None:
            return None
        raise ValueError("secrets do not belong in the file: put it in an environment variable and name "
                         "that variable in client_secret_env")


class EnrichmentEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: str = Field(pattern=NAME)
    name: str = Field(min_length=1)
    source_audience: str = Field(min_length=1)
    authorization: Authorization
    url: str = Field(min_length=1)
    fields: list[str] = Field(min_length=1)
    template: str = Field(min_length=1)
    stream: str = Field(pattern=NAME)
    map: dict[str, str] = Field(min_length=1)
    existing_users: bool = True
    concurrency: int = Field(default=8, ge=1, le=64)
    rate_limit_per_second: float = Field(default=50.0, gt=0, le=10_000)
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    max_response_bytes: int = Field(default=1 << 20, ge=1, le=100 << 20)
    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff_seconds: float = Field(default=0.5, ge=0, le=60)
    max_retry_after_seconds: float = Field(default=120.0, ge=0, le=3600)

    @field_validator("map")
    @classmethod
    def _columns_are_names(cls, mapping: dict[str, str]) -> dict[str, str]:
        for field, column in mapping.items():
            if not re.match(NAME, column):
                raise ValueError(f"{field}: column {column!r} must be a-z, 0-9 and _, starting with a letter")
        if len(set(mapping.values())) < len(mapping):
            raise ValueError("two response fields map to the same column")
        return mapping

    @field_validator("stream")
    @classmethod
    def _not_reserved(cls, stream: str) -> str:
        if stream in RESERVED_STREAMS:
            raise ValueError(f"{stream} is the name of an enrichment bookkeeping table")
        return stream


class EnrichmentsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enrichments: list[EnrichmentEntry]


class Enrichment(EnrichmentEntry):
    """An entry checked against the rest of the file; `located` says where its keys are written."""

    path: str
    line: int

    def located(self, key: str) -> str:
        return f"{self.path}, enrichment {self.slug}, key {key}"

    def expanded(self, key: str, value: str) -> str:
        """`${NAME}` replaced by the environment variable NAME (EnrichmentConfigError if unset)."""
        def variable(match: re.Match) -> str:
            found = setting_value(match[1])
            if not found:
                raise EnrichmentConfigError(f"{self.located(key)} (line {self.line}): environment variable "
                                            f"{match[1]} is not set")
            return found
        return PLACEHOLDER.sub(variable, value)
