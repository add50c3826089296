"""The parameters and bodies of every implemented operation, as the vendor's OpenAPI document declares them.

Each schema here is the document's own (descriptions dropped), so `validation` can check requests
with one interpreter instead of a check per handler; a test compares this table with the vendor
document, operation by operation, so the two cannot drift apart. `clientId` is left out: the
credentials check owns it. Form fields `data.<attribute>` are the document's `data` property; the
handlers check them against the list's fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

INT32: dict[str, Any] = {"type": "integer", "format": "int32"}
INT64: dict[str, Any] = {"type": "integer", "format": "int64"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
STRING: dict[str, Any] = {"type": "string"}
STRINGS: dict[str, Any] = {"type": "array", "items": STRING}


def choice(*values: str, default: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "enum": list(values)}
    return schema if default is None else {**schema, "default": default}


DIRECTION = choice("ASC", "DESC")
MEDIA_TYPE = choice("EMAIL", "FAX", "SMS", "LETTER", "PUSH", "PRINT")
UPDATE_MODE = choice("set", "prepend", "append")
WEBHOOK_TYPE = choice(
    "open", "click", "sent", "bounce", "unsubscribe", "spamcomplaint", "singleoptin",
    "confirmedoptin", "doubleoptin", "blocklist", "archive", "filteredbyblocklist",
)  # fmt: skip


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    """"path", "query" or "form" (a field of an application/x-www-form-urlencoded body)."""
    schema: dict[str, Any]
    required: bool = False


def path(name: str, schema: dict[str, Any]) -> Parameter:
    return Parameter(name, "path", schema, required=True)


def query(name: str, schema: dict[str, Any], required: bool = False) -> Parameter:
    return Parameter(name, "query", schema, required)


def form(name: str, schema: dict[str, Any], required: bool = False) -> Parameter:
    return Parameter(name, "form", schema, required)


@dataclass(frozen=True)
class Operation:
    operation_id: str
    parameters: tuple[Parameter, ...] = ()
    json_body: dict[str, Any] | None = field(default=None)
    """The schema of an application/json body, if the operation takes one."""


LIST_ID = path("recipientListId", INT64)
RECIPIENT_ID = path("recipientId", STRING)
WEBHOOK_ID = path("webhookId", INT64)
PAGE = (query("offset", INT32), query("limit", INT32))
ATTRIBUTES = (query("attributeNames", STRINGS), query("includeOptinData", BOOLEAN))
DATA = form("data", STRING)
WEBHOOK_FORM = (
    form("basicAuthUsername", STRING), form("basicAuthPassword", STRING), form("type", WEBHOOK_TYPE, True),
    form("format", choice("json"), True), form("authentication", STRING), form("targetUrl", STRING, True),
)  # fmt: skip
_RECIPIENT_DATA = {"type": "object", "additionalProperties": {}}
"""The document declares every value an object, which no real value is (see the contract test)."""

_OPERATIONS = [
    Operation("getAuthenticatedUser"),
    Operation("selectRecipientLists", (*PAGE, query("includeTestLists", {**BOOLEAN, "default": True}),
                                       query("sort", choice("name", "created", "modified", default="created")),
                                       query("direction", DIRECTION))),
    Operation("getRecipientList", (LIST_ID,)),
    Operation("getRecipientListFields", (LIST_ID,)),
    Operation("getRecipientListAttributeNames", (LIST_ID,)),
    Operation("selectRecipients", (*PAGE, query("targetGroup", INT64), *ATTRIBUTES,
                                   query("sort", {**STRING, "default": "id"}),
                                   query("direction", {**DIRECTION, "default": "ASC"}), LIST_ID)),
    Operation("countRecipients", (query("targetGroup", INT64), LIST_ID)),
    Operation("getRecipient", (*ATTRIBUTES, RECIPIENT_ID, LIST_ID)),
    Operation("addRecipient", (LIST_ID, form("returnOptInMailId", {**BOOLEAN, "default": False}),
                               form("address", STRING), DATA, form("optinProcessId", INT64),
                               form("recipientId", STRING, True))),
    Operation("addRecipients", (LIST_ID,), {
        "type": "object",
        "properties": {
            "recipients": {"type": "array", "items": {"type": "object", "properties": {
                "address": STRING, "data": _RECIPIENT_DATA, "id": STRING}}},
            "optinProcessId": INT64,
        },
    }),
    Operation("modifyRecipientAttributes", (RECIPIENT_ID, LIST_ID, DATA, form("mode", UPDATE_MODE))),
    Operation("modifyRecipientsAttributes", (LIST_ID,), {
        "type": "object",
        "properties": {
            "updateMode": UPDATE_MODE,
            "recipients": {"type": "array", "items": {"type": "object", "properties": {
                "data": _RECIPIENT_DATA, "id": STRING}}},
        },
    }),
    Operation("deleteRecipient", (RECIPIENT_ID, LIST_ID)),
    Operation("deleteRecipients", (query("recipientIds", STRINGS),
                                   query("removalType", choice("blacklisted", "bounced", "unsubscribed")),
                                   query("mediaType", MEDIA_TYPE), LIST_ID)),
    Operation("selectUnsubscribes", (*PAGE, query("recipientIds", STRINGS), query("mediaType", MEDIA_TYPE),
                                     query("sort", choice("id", "reason", "recipientListId", "mailingId",
                                                          "created", default="created")),
                                     query("direction", DIRECTION), query("recipientListId", INT64))),
    Operation("createUnsubscribes", (form("recipientIds", STRINGS), form("mediaType", MEDIA_TYPE),
                                     form("mailIds", STRINGS), form("recipientListId", INT64))),
    Operation("findAllBlacklistEntries", (*PAGE, query("pattern", STRINGS), query("reason", STRING),
                                          query("sort", choice("pattern", "reason", "created", "modified",
                                                               default="created")),
                                          query("direction", DIRECTION))),
    Operation("createBlacklistEntry", (form("reason", STRING), form("entry", STRING, True))),
    Operation("selectResponses", (query("limit", INT32), query("recipientIds", STRINGS),
                                  query("mailingId", INT64),
                                  query("category", choice("hardbounce", "softbounce", "autoresponder", "unknown"),
                                        required=True))),
    Operation("selectWebhooks", (query("sort", choice(
        "ID", "MAILING_GROUP", "TYPE", "NAME", "TEMPLATE", "STATUS", "PAYLOAD_FORMAT", "TARGET_URL",
        "INTEGRATION_ID", "AUTHENTICATION", "DATA", "CREATED", "MODIFIED", default="CREATED")),
        query("direction", {**DIRECTION, "default": "DESC"}), *PAGE)),
    Operation("createWebhook", WEBHOOK_FORM),
    Operation("updateWebhook", (WEBHOOK_ID, *WEBHOOK_FORM)),
    Operation("activateWebhook", (WEBHOOK_ID,)),
    Operation("deactivateWebhook", (WEBHOOK_ID,)),
    Operation("deleteWebhook", (WEBHOOK_ID,)),
    Operation("verifyWebhook", (WEBHOOK_ID, query("mailingId", INT64, required=True),
                                query("numberOfEvents", {**INT32, "minimum": 1, "maximum": 100, "default": 1}))),
]
OPERATIONS: dict[str, Operation] = {operation.operation_id: operation for operation in _OPERATIONS}
