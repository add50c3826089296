"""Bring our Campaign webhooks in line with the settings: one activated webhook per chosen event type.

Ours are the webhooks whose target URL is our receiver's, exactly (plus, after the URL changed, the
ones at the URL we registered before). Each chosen type keeps one of them, preferably an activated
one, else a new one is created; its settings are sent again on every run (PUT, idempotent), because
Campaign never shows a webhook's secret back and a stored fingerprint of it would be one more copy of
something derived from the secret to protect. Further ones of the same type (left by a concurrent run)
are deactivated and deleted, ours of types no longer chosen are deactivated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ...campaign.rest import CampaignRestClient, Webhook
from .webhook_target import WebhookTarget

ACTIVE = "activated"


@dataclass(frozen=True)
class WebhookChange:
    """One of our webhooks after the run, and what the run did to it."""

    id: int
    type: str
    status: str | None
    action: str


def ours(rest: CampaignRestClient, target_urls: Iterable[str]) -> list[Webhook]:
    """Our webhooks (exact target URL match), oldest first; deleted ones are gone."""
    urls = set(target_urls)
    return sorted((w for w in rest.webhooks() if w.target_url in urls and w.status != "deleted"), key=lambda w: w.id)


def sync_webhooks(rest: CampaignRestClient, target: WebhookTarget,
                  previous_urls: Iterable[str] = ()) -> list[WebhookChange]:
    by_type: dict[str, list[Webhook]] = defaultdict(list)
    for webhook in ours(rest, [target.target_url, *previous_urls]):
        by_type[webhook.type].append(webhook)
    changes: list[WebhookChange] = []
    for event_type in target.chosen_types():
        kept, *extra = sorted(by_type.pop(event_type, []), key=lambda w: w.status != ACTIVE) or [None]
        changes.append(_keep(rest, target, event_type, kept))
        changes += [remove(rest, w, f"deleted: a second one of type {event_type}") for w in extra]
    for webhooks in by_type.values():
        changes += [_retire(rest, w) for w in webhooks]
    return changes


def _keep(rest: CampaignRestClient, target: WebhookTarget, event_type: str, found: Webhook | None) -> WebhookChange:
    if found is None:
        webhook, action = rest.create_webhook(event_type, target.target_url, target.authentication()), "created"
    else:
        moved = found.target_url != target.target_url
        webhook = rest.update_webhook(found.id, event_type, target.target_url, target.authentication())
        action = "kept, moved to the new URL" if moved else "kept, settings sent again"
    if webhook.status != ACTIVE:
        was = webhook.status
        webhook = rest.activate_webhook(webhook.id)
        action += ", activated" if was in (None, "created") else f", re-activated (was {was})"
    return WebhookChange(webhook.id, webhook.type, webhook.status, action)


def _retire(rest: CampaignRestClient, webhook: Webhook) -> WebhookChange:
    """Ours, of a type no longer chosen: deactivated, kept (choosing the type again re-activates it)."""
    action = "type no longer chosen"
    if webhook.status == ACTIVE:
        webhook = rest.deactivate_webhook(webhook.id)
        action += ", deactivated"
    return WebhookChange(webhook.id, webhook.type, webhook.status, action)


def remove(rest: CampaignRestClient, webhook: Webhook, action: str = "deleted") -> WebhookChange:
    """Deactivate (Campaign refuses to delete an active webhook) and delete."""
    if webhook.status == ACTIVE:
        rest.deactivate_webhook(webhook.id)
    rest.delete_webhook(webhook.id)
    return WebhookChange(webhook.id, webhook.type, "deleted", f"{action} (was {webhook.status})")


def remove_webhooks(rest: CampaignRestClient, target_url: str) -> list[WebhookChange]:
    """Deactivate and delete every webhook at our target URL, and nothing else."""
    return [remove(rest, webhook) for webhook in ours(rest, [target_url])]


def markdown_table(changes: list[WebhookChange]) -> str:
    if not changes:
        return "No webhooks."
    rows = [f"| {c.id} | {c.type} | {c.status or ''} | {c.action} |" for c in changes]
    return "\n".join(["| id | type | status | action |", "|---:|---|---|---|", *rows])
