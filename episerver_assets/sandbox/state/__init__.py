"""In-memory state of the sandbox: one Campaign client's lists, recipients, suppressions and webhooks.

REST, SOAP and SFTP handlers all read and change the same state, so that a recipient added over SOAP
is visible over REST, as on the real service. Every method takes the client's lock: the servers run
on different threads. One module per concern:

- `records`: accounts, lists, recipients, target groups;
- `suppressions`: unsubscribes, the blocklist, bounces;
- `recipients`: adding (suppressions first), changing and removing recipients;
- `recipient_queries`: select/count and target groups, with Campaign's concurrency limit;
- `mailings`: mailings and sending an event mailing to one recipient (`sendMail`);
- `webhooks`: webhooks and their status transitions;
- `clients`: `ClientState`, all of the above for one client, and `SandboxState`, all clients.
"""

from .clients import ClientState, SandboxState
from .mailings import MAILING_STATUSES, MAILING_TYPES, Mailing, SendOutcome
from .recipient_queries import MAX_CONCURRENT_RECIPIENT_QUERIES, TooManyRecipientQueries
from .recipients import AddOutcome
from .records import ClientAccount, ListField, Recipient, RecipientList, TargetGroup, is_valid_address, now
from .suppressions import BOUNCE_THRESHOLD
from .webhooks import Webhook, WebhookStateError

__all__ = [
    "BOUNCE_THRESHOLD",
    "MAX_CONCURRENT_RECIPIENT_QUERIES",
    "AddOutcome",
    "ClientAccount",
    "ClientState",
    "ListField",
    "MAILING_STATUSES",
    "MAILING_TYPES",
    "Mailing",
    "Recipient",
    "RecipientList",
    "SandboxState",
    "SendOutcome",
    "TargetGroup",
    "TooManyRecipientQueries",
    "Webhook",
    "WebhookStateError",
    "is_valid_address",
    "now",
]
