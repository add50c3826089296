"""What every sink shares: the rendered notification it sends, its kind filter, and its error type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .events import EventKind


@dataclass(frozen=True)
class Notification:
    kind: EventKind
    subject: str
    body: str
    run: dict[str, Any]  # the run fields (run id, job, asset, partition, time); never profile fields


class SinkError(Exception):
    """A sink could not deliver; the message is one line without secrets, addresses or URL paths."""


class SinkConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kinds: list[EventKind] | None = Field(default=None, description="the kinds this sink receives; unset: all")

    def receives(self, kind: EventKind) -> bool:
        return self.kinds is None or kind in self.kinds
