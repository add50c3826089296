"""SFTP client for Optimizely Campaign's closed-loop interface (paramiko), as a Dagster resource."""

from episerver_assets.campaign.sftp.host_keys import fingerprint_of
from episerver_assets.campaign.sftp.models import RemoteFile, SftpCheckResult
from episerver_assets.campaign.sftp.resource import CampaignSftpResource
from episerver_assets.campaign.sftp.session import SftpSession
from episerver_assets.campaign.sftp.upload import temporary_name

__all__ = [
    "CampaignSftpResource",
    "RemoteFile",
    "SftpCheckResult",
    "SftpSession",
    "fingerprint_of",
    "temporary_name",
]
