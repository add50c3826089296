"""Campaign SOAP API client (zeep, rpc/encoded) and its Dagster resource."""

from .add_all3 import AddAll3Code, AddAll3Summary, RecipientRecord
from .blocklist import SoapBlocklist
from .client import CampaignSoapClient, SoapSettings
from .mailings import SendMailCode, SoapMailings
from .resource import CampaignSoapResource, SoapCheckResult
from .wsdl import OfflineTransport

__all__ = [
    "AddAll3Code",
    "AddAll3Summary",
    "CampaignSoapClient",
    "CampaignSoapResource",
    "OfflineTransport",
    "RecipientRecord",
    "SendMailCode",
    "SoapBlocklist",
    "SoapCheckResult",
    "SoapMailings",
    "SoapSettings",
]
