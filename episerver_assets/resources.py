"""The resources every capability shares, configured from the environment (sandbox defaults when unset)."""

from __future__ import annotations

from .campaign.rest import CampaignRestResource
from .campaign.sftp import CampaignSftpResource
from .campaign.soap import CampaignSoapResource
from .settings import setting
from .warehouse import WarehouseResource


def shared_resources() -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(url=setting("EPISERVER_WAREHOUSE_URL")),
        "rest": CampaignRestResource(
            rest_url=setting("EPISERVER_REST_URL"),
            client_id=setting("EPISERVER_CLIENT_ID"),
            api_user=setting("EPISERVER_API_USER"),
            api_password=setting("EPISERVER_API_PASSWORD"),
        ),
        "soap": CampaignSoapResource.from_env(),
        "sftp": CampaignSftpResource.from_env(),
    }
