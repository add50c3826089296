"""`remove_campaign_webhooks_job`: deactivate and delete our webhooks in Campaign, and only ours.

Ours are the webhooks at our receiver's target URL (exactly). The job records a materialization of
`activity/campaign_webhooks` listing what it removed, so the asset's latest state says "none".
"""

import dagster as dg

from ...campaign.rest import CampaignRestResource
from ...pools import CAMPAIGN_REST
from .webhook_assets import CAMPAIGN_WEBHOOKS, state_metadata
from .webhook_sync import remove_webhooks
from .webhook_target import WebhookTarget


@dg.op(pool=CAMPAIGN_REST, description="Deactivate and delete every Campaign webhook at our receiver's URL.")
def remove_campaign_webhooks(context: dg.OpExecutionContext, rest: CampaignRestResource,
                             webhook_target: WebhookTarget) -> None:
    with webhook_target.secret_withheld(), rest.client() as client:
        removed = remove_webhooks(client, webhook_target.target_url)
    listed = ", ".join(f"{c.id} ({c.type})" for c in removed) or "none"
    context.log.info("removed %d webhooks at %s: %s", len(removed), webhook_target.shown_url(), listed)
    context.log_event(dg.AssetMaterialization(
        asset_key=CAMPAIGN_WEBHOOKS,
        description="Our webhooks were removed by remove_campaign_webhooks_job.",
        metadata={**state_metadata(webhook_target, removed), "removed_webhooks": len(removed)},
    ))


@dg.job(description="Remove our Campaign webhooks (those at EPISERVER_RECEIVER_PUBLIC_URL); others stay.")
def remove_campaign_webhooks_job() -> None:
    remove_campaign_webhooks()
