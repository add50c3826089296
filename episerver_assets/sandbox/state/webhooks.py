"""Webhooks one client registered, with the status transitions Campaign allows."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

from .guarded import GuardedClient
from .records import ClientAccount, now


class WebhookStateError(Exception):
    """A webhook transition its current status forbids (activate twice, delete while active)."""


@dataclass
class Webhook:
    webhook_id: int
    type: str
    target_url: str
    authentication: dict
    format: str = "json"
    status: str = "created"
    created: datetime = field(default_factory=now)
    modified: datetime = field(default_factory=now)


class Webhooks(GuardedClient):
    def __init__(self, account: ClientAccount):
        super().__init__(account)
        self.webhooks: dict[int, Webhook] = {}

    def create_webhook(self, type: str, target_url: str, authentication: dict) -> Webhook:
        with self.lock:
            webhook = Webhook(self.next_id(), type, target_url, dict(authentication))
            self.webhooks[webhook.webhook_id] = webhook
            return dataclasses.replace(webhook)

    def update_webhook(self, webhook_id: int, type: str, target_url: str, authentication: dict) -> Webhook:
        with self.lock:
            webhook = self.webhooks[webhook_id]
            webhook.type, webhook.target_url, webhook.authentication = type, target_url, dict(authentication)
            webhook.modified = now()
            return dataclasses.replace(webhook)

    def activate_webhook(self, webhook_id: int) -> Webhook:
        return self._move_webhook(webhook_id, "activated", allowed_from={"created", "deactivated"})

    def deactivate_webhook(self, webhook_id: int) -> Webhook:
        return self._move_webhook(webhook_id, "deactivated", allowed_from={"activated"})

    def delete_webhook(self, webhook_id: int) -> None:
        with self.lock:
            if self.webhooks[webhook_id].status == "activated":
                raise WebhookStateError(f"Webhook {webhook_id} is activated; deactivate it before deleting.")
            del self.webhooks[webhook_id]

    def active_webhooks(self) -> list[Webhook]:
        with self.lock:
            return [dataclasses.replace(w) for w in self.webhooks.values() if w.status == "activated"]

    def _move_webhook(self, webhook_id: int, status: str, allowed_from: set[str]) -> Webhook:
        with self.lock:
            webhook = self.webhooks[webhook_id]
            if webhook.status not in allowed_from:
                raise WebhookStateError(f"Webhook {webhook_id} is in status {webhook.status}.")
            webhook.status, webhook.modified = status, now()
            return dataclasses.replace(webhook)
