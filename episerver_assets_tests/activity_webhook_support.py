"""Helpers of the webhook registration tests: run the asset and the removal job, read the sandbox's webhooks."""

from __future__ import annotations

import dataclasses

import dagster as dg

from episerver_assets.defs.activity.webhook_assets import campaign_webhooks
from episerver_assets.defs.activity.webhook_removal import remove_campaign_webhooks_job
from episerver_assets.defs.activity.webhook_target import WebhookTarget
from episerver_assets.resources import rest_resource
from episerver_assets.settings import load_settings

OUR_URL = "http://127.0.0.1:9/events"  # nothing listens: the sandbox's own sender ticks fail fast
SECRET = "Wh-s3cret-0f-the-receiver"


def resources() -> dict[str, object]:
    """The asset's resources as the code location builds them, from the environment."""
    settings = load_settings()
    return {"rest": rest_resource(settings), "webhook_target": WebhookTarget.from_settings(settings)}


def materialize(instance: dg.DagsterInstance, **run_options) -> dg.ExecuteInProcessResult:
    return dg.materialize([campaign_webhooks], instance=instance, resources=resources(), **run_options)


def metadata_of(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    """The plain values of the run's one materialization's metadata."""
    (event,) = result.get_asset_materialization_events()
    return {name: value.value for name, value in event.materialization.metadata.items()}


def remove(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return remove_campaign_webhooks_job.execute_in_process(instance=instance, resources=resources())


def sandbox_webhooks(sandbox, url: str | None = None) -> list:
    """Copies of the sandbox's webhooks (all, or those at `url`), by id."""
    campaign = sandbox.state.client(sandbox.client_ids[0])
    with campaign.lock:
        found = [dataclasses.replace(w) for w in campaign.webhooks.values() if url is None or w.target_url == url]
    return sorted(found, key=lambda w: w.webhook_id)


def add_foreign_webhooks(sandbox) -> list:
    """Someone else's webhooks, two at URLs that differ from ours only slightly; one activated."""
    campaign = sandbox.state.client(sandbox.client_ids[0])
    active = campaign.create_webhook("open", "https://someone-else.example/hook",
                                     {"type": "basicAuth", "userName": "them", "password": "their-secret"})
    campaign.activate_webhook(active.webhook_id)
    campaign.create_webhook("click", OUR_URL + "/", {"type": "none"})
    campaign.create_webhook("sent", OUR_URL.replace(":9/", ":10/"), {"type": "none"})
    return sandbox_webhooks(sandbox)
