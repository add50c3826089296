"""Campaign REST API client (httpx) and its Dagster resource."""

from .client import CampaignRestClient
from .http import RestSession, Safety
from .models import (
    AuthenticatedUser,
    BulkResult,
    CheckResult,
    ListField,
    Recipient,
    RecipientData,
    RecipientList,
    UpsertOutcome,
    UpsertResult,
)
from .resource import CampaignRestResource
from .suppression_models import BlocklistEntry, Bounce, Response, Unsubscribe, UnsubscribeResult
from .throttle import DAGSTER_POOL, Throttle, shared_throttle
from .webhook_models import Webhook, WebhookAuthentication, WebhookVerification

__all__ = [
    "AuthenticatedUser", "BlocklistEntry", "Bounce", "BulkResult", "CampaignRestClient",
    "CampaignRestResource", "CheckResult", "DAGSTER_POOL", "ListField", "Recipient", "RecipientData",
    "RecipientList", "Response", "RestSession", "Safety", "Throttle", "Unsubscribe", "UnsubscribeResult",
    "UpsertOutcome", "UpsertResult", "Webhook", "WebhookAuthentication", "WebhookVerification",
    "shared_throttle",
]
