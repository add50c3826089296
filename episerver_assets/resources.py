"""The resources every capability shares, built from the validated settings (sandbox defaults when unset)."""

from __future__ import annotations

from .campaign.rest import CampaignRestResource
from .campaign.sftp import CampaignSftpResource
from .campaign.soap import CampaignSoapResource
from .pools import rest_share_per_step
from .settings import Settings, load_settings
from .warehouse import WarehouseResource


def rest_resource(settings: Settings) -> CampaignRestResource:
    """Each step gets its share of Campaign's per-client REST limits, so the pool's steps together stay within them."""
    connections, recipient_reads = rest_share_per_step()
    return CampaignRestResource(
        rest_url=settings.config("EPISERVER_REST_URL"),
        client_id=settings.config("EPISERVER_CLIENT_ID"),
        api_user=settings.config("EPISERVER_API_USER"),
        api_password=settings.config("EPISERVER_API_PASSWORD"),
        max_connections=connections,
        max_concurrent_recipient_reads=recipient_reads,
    )


def shared_resources(settings: Settings | None = None) -> dict[str, object]:
    """Raises SettingError naming the variable when a setting cannot work."""
    settings = settings or load_settings()
    return {
        "warehouse": WarehouseResource(url=settings.config("EPISERVER_WAREHOUSE_URL")),
        "rest": rest_resource(settings),
        "soap": CampaignSoapResource.from_settings(settings),
        "sftp": CampaignSftpResource.from_settings(settings),
    }
