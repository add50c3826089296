"""The receiver's settings, as one value the app and the server share."""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import Settings

# Long enough for the largest accepted body (1 MiB by default) over a slow link (~300 kbit/s), short
# enough that a sender trickling bytes frees its connection soon. A constant until it becomes a setting.
BODY_READ_DEADLINE_SECONDS = 30.0


@dataclass(frozen=True)
class ReceiverConfig:
    host: str
    port: int
    auth_mode: str  # "basic" or "key"
    user: str
    key_header: str
    secret: str
    store_url: str
    max_body_bytes: int
    max_events: int
    body_read_seconds: float = BODY_READ_DEADLINE_SECONDS

    @classmethod
    def from_settings(cls, settings: Settings) -> ReceiverConfig:
        return cls(
            host=settings["EPISERVER_RECEIVER_HOST"],
            port=settings["EPISERVER_RECEIVER_PORT"],
            auth_mode=settings["EPISERVER_RECEIVER_AUTH"],
            user=settings["EPISERVER_RECEIVER_USER"],
            key_header=settings["EPISERVER_RECEIVER_KEY_HEADER"],
            secret=settings["EPISERVER_RECEIVER_SECRET"],
            store_url=settings["EPISERVER_RECEIVER_STORE_URL"],
            max_body_bytes=settings["EPISERVER_RECEIVER_MAX_BODY_BYTES"],
            max_events=settings["EPISERVER_RECEIVER_MAX_EVENTS"],
            body_read_seconds=float(settings["EPISERVER_RECEIVER_BODY_TIMEOUT_SECONDS"]),
        )

    def __repr__(self) -> str:  # the secret must never reach a log line through a repr
        return f"ReceiverConfig(host={self.host!r}, port={self.port}, auth_mode={self.auth_mode!r}, ...)"
