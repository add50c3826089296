"""Campaign SOAP API client (zeep, rpc/encoded) and its Dagster resource."""

from .add_all3 import AddAll3Code, AddAll3Summary, RecipientRecord
from .client import CampaignSoapClient, SoapSettings
from .resource import CampaignSoapResource, SoapCheckResult
from .wsdl import OfflineTransport

__all__ = [
    "AddAll3Code",
    "AddAll3Summary",
    "CampaignSoapClient",
    "CampaignSoapResource",
    "OfflineTransport",
    "RecipientRecord",
    "SoapCheckResult",
    "SoapSettings",
]
