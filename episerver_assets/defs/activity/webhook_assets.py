"""`activity/campaign_webhooks`: Campaign's webhooks for our receiver, one activated per chosen event type.

No table: the state is in Campaign, and the materialization's metadata shows it (webhook ids, types,
states, what the run did). The recorded target URL lets the next run find webhooks it registered
before the receiver's public URL changed, and move them instead of leaving them behind.
"""

import dagster as dg

from ...campaign.rest import CampaignRestResource
from ...pools import CAMPAIGN_REST
from .webhook_sync import WebhookChange, markdown_table, sync_webhooks
from .webhook_target import WebhookTarget

OWNER = "team:crm-data"
CAMPAIGN_WEBHOOKS = dg.AssetKey(["activity", "campaign_webhooks"])


def state_metadata(target: WebhookTarget, changes: list[WebhookChange]) -> dict[str, object]:
    """What the UI shows of our webhooks; the secret never, the URL with any password masked."""
    return {
        "webhooks": dg.MetadataValue.md(markdown_table(changes)),
        "active_webhooks": sum(c.status == "activated" for c in changes),
        "target_url": target.shown_url(),
        "authentication": target.described(),
    }


def _previous_url(context: dg.AssetExecutionContext, current: str) -> list[str]:
    event = context.instance.get_latest_materialization_event(CAMPAIGN_WEBHOOKS)
    materialization = event.asset_materialization if event else None
    recorded = materialization.metadata.get("target_url") if materialization else None
    return [recorded.value] if recorded is not None and recorded.value != current else []


@dg.asset(
    key=CAMPAIGN_WEBHOOKS,
    group_name="activity",
    kinds={"optimizely", "webhook"},
    owners=[OWNER],
    pool=CAMPAIGN_REST,
    description=(
        "Campaign webhooks that deliver activity events (opens, clicks, bounces, ...) to our receiver at "
        "`EPISERVER_RECEIVER_PUBLIC_URL`: one per event type of `EPISERVER_ACTIVITY_EVENT_TYPES` (all "
        "types when empty), with the receiver's authentication, activated. Reruns reuse ours (same target "
        "URL), re-activate, re-send the settings (a changed secret), never duplicate, and deactivate ours of "
        "types no longer chosen. Webhooks of other target URLs are never touched. "
        "`remove_campaign_webhooks_job` removes ours."
    ),
)
def campaign_webhooks(context: dg.AssetExecutionContext, rest: CampaignRestResource,
                      webhook_target: WebhookTarget) -> dg.MaterializeResult:
    chosen = webhook_target.chosen_types()
    with webhook_target.secret_withheld(), rest.client() as client:
        changes = sync_webhooks(client, webhook_target, _previous_url(context, webhook_target.shown_url()))
    retired = sorted({c.type for c in changes if c.type not in chosen})
    context.log.info("%d webhooks for %s active; %d created", sum(c.status == "activated" for c in changes),
                     webhook_target.shown_url(), sum(c.action.startswith("created") for c in changes))
    metadata = {
        **state_metadata(webhook_target, changes),
        "event_types": ", ".join(chosen) if webhook_target.event_types else f"all: {', '.join(chosen)}",
        "created_webhooks": sum(c.action.startswith("created") for c in changes),
    }
    if retired:
        metadata["no_longer_chosen"] = f"ours of types {', '.join(retired)} are deactivated, not deleted"
    return dg.MaterializeResult(metadata=metadata)
