"""Where Campaign delivers webhook events and how it authenticates there: our receiver, from the settings.

The receiver's public URL identifies our webhooks in Campaign: every webhook with exactly that target
URL is ours, every other one belongs to someone else and is never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from pydantic import Field

from ...campaign.rest import WebhookAuthentication
from ...campaign.rest.webhooks import WEBHOOK_TYPES
from ...redaction import mask_passwords
from ...settings import Settings, load_settings, resolved


class WebhookTarget(dg.ConfigurableResource):
    """Our receiver as Campaign sees it: URL, authentication, and the event types to register."""

    target_url: str = Field(description="EPISERVER_RECEIVER_PUBLIC_URL: where Campaign posts events.")
    auth_mode: str = Field(description="basic (HTTP Basic user and secret) or key (secret in a header).")
    user: str = Field(description="HTTP Basic user (basic mode).")
    key_header: str = Field(description="Header carrying the secret (key mode).")
    secret: str = Field(repr=False, description="Password (basic) or header value (key).")
    event_types: list[str] = Field(default_factory=list, description="Types to register; empty: all.")

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookTarget:
        return cls(
            target_url=settings["EPISERVER_RECEIVER_PUBLIC_URL"],
            auth_mode=settings["EPISERVER_RECEIVER_AUTH"],
            user=settings["EPISERVER_RECEIVER_USER"],
            key_header=settings["EPISERVER_RECEIVER_KEY_HEADER"],
            secret=settings.config("EPISERVER_RECEIVER_SECRET"),
            event_types=list(settings["EPISERVER_ACTIVITY_EVENT_TYPES"]),
        )

    def chosen_types(self) -> tuple[str, ...]:
        return tuple(self.event_types) or WEBHOOK_TYPES

    def authentication(self) -> WebhookAuthentication:
        """Campaign's authentication JSON for our receiver (basicAuth or keyAuth)."""
        if self.auth_mode == "key":
            return WebhookAuthentication.header(self.key_header, resolved(self.secret))
        return WebhookAuthentication.basic(self.user, resolved(self.secret))

    def described(self) -> str:
        """The authentication as metadata may show it: the mode and the user or header, never the secret."""
        return f"keyAuth, header {self.key_header}" if self.auth_mode == "key" else f"basicAuth, user {self.user}"

    def shown_url(self) -> str:
        return mask_passwords(self.target_url)

    @contextmanager
    def secret_withheld(self) -> Iterator[None]:
        """Re-raise any error whose text (or chained cause) quotes the secret with the secret masked.

        The client never logs request bodies, but a service error message may echo the form back.
        """
        try:
            yield
        except Exception as error:
            secret = resolved(self.secret)
            if not secret or not any(secret in f"{e!r} {e}" for e in _chain(error)):
                raise
            text = f"{type(error).__name__}: {error}".replace(secret, "****")
            raise WebhookRegistrationError(text) from None


class WebhookRegistrationError(RuntimeError):
    """A Campaign call of the webhook registration failed; the message has the secret masked."""


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


@dg.definitions
def webhook_target_resource() -> dg.Definitions:
    return dg.Definitions(resources={"webhook_target": WebhookTarget.from_settings(load_settings())})
