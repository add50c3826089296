"""Property-based contract test: schemathesis drives every operation the sandbox serves from the vendor document.

Requests are generated from the vendor's OpenAPI document (positive: schema-valid; negative: each
violating one constraint) and sent in-process to the sandbox's ASGI app, with a fixed seed and a
bounded example count so CI stays fast and repeatable. A run fails on any 5xx, any status or body
the document does not describe, any schema-valid request refused without a known reason, and any
schema-invalid request accepted.

The vendor document is used as it is, except for what is written down here, each change asserted
to still be needed so that a corrected document is noticed:
- the three defects `openapi_contract` repairs (`data` values declared as objects, mainly);
- the paging bounds the vendor states in prose only ("Change the limit to less than 10000"), and
  the sandbox's choice to refuse a non-positive limit and a negative offset;
- `UNDOCUMENTED`: answers Campaign gives that the operation's responses do not list;
- `SEMANTIC_400`: operations with a rule the schema cannot express (an attribute the list lacks, a
  URL that is no URL...), whose schema-valid requests may therefore get 400 (any other refusal of a
  schema-valid request still fails).
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import hypothesis
import jsonschema
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from starlette.applications import Starlette
from starlette.routing import Mount

from episerver_assets.sandbox.faults import FaultSwitch
from episerver_assets.sandbox.rest.operations import OPERATIONS
from episerver_assets.sandbox.rest_app import build_rest_app
from episerver_assets.sandbox.state import ClientAccount, ListField, RecipientList, SandboxState

from .openapi_contract import SPEC_PATH, _repair

CLIENT, USER, PASSWORD = 1000, "sandbox-api", "sandbox-secret"
LIST, RECIPIENTS = 77, ["r0@example.com", "r1@example.com"]
SEED, EXAMPLES = 20261129, 30

INVALID_INPUT = "a parameter or body this document forbids (Campaign's validation answer)"
UNDOCUMENTED: dict[str, dict[str, str]] = {
    "selectRecipients": {"404": "an unknown list or target group"},
    "countRecipients": {"404": "an unknown list or target group"},
    "addRecipient": {"404": "an unknown list (409 means exists or blocked to add-then-update clients)"},
    "addRecipients": {"404": "an unknown list"},
    "modifyRecipientsAttributes": {"404": "an unknown list"},
    "modifyRecipientAttributes": {"404": "a recipient that is not in the list"},
    "deleteRecipients": {"404": "an unknown list"},
    "verifyWebhook": {"404": "an unknown webhook", "409": "a webhook of another client"},
}
"""Answers beyond the operation's documented ones; every operation with input may also answer 400."""
SEMANTIC_400 = {
    "selectRecipients": "sort by an attribute the list lacks; attribute names the list lacks",
    "getRecipient": "attribute names the list lacks",
    "addRecipient": "an empty recipient id, attributes the list lacks, an invalid address",
    "modifyRecipientAttributes": "attributes the list lacks",
    "deleteRecipients": "recipientIds together with removalType; mediaType without removalType",
    "createUnsubscribes": "neither recipientIds nor mailIds; more than 5000 ids",
    "createBlacklistEntry": "an empty pattern",
    "selectResponses": "neither mailingId nor recipientIds",
    "createWebhook": "a target URL that is no http(s) URL, authentication that is not the documented JSON",
    "updateWebhook": "as createWebhook",
    "activateWebhook": "a webhook that is already active",
    "deactivateWebhook": "a webhook that is not active",
    "deleteWebhook": "a webhook that is still active",
}
SUCCESS_EXAMPLES = {"createUnsubscribes": {"recipientIds": [RECIPIENTS[1]], "mediaType": "EMAIL"}}
"""Explicit examples (schemathesis' examples phase) for operations whose success needs one of two
optional fields: generation alone reached their success path in some runs and not in others."""


def contract_document() -> dict[str, Any]:
    document = _repair(json.loads(SPEC_PATH.read_text(encoding="utf-8")))
    for path, item in document["paths"].items():
        for method, operation in list(item.items()):
            if not isinstance(operation, dict) or operation.get("operationId") not in OPERATIONS:
                continue
            for parameter in operation.get("parameters", []):
                if parameter["name"] in ("limit", "offset"):
                    assert parameter["schema"] == {"type": "integer", "format": "int32"}, "paging bounds now stated"
                    bounds = {"minimum": 1, "maximum": 9999} if parameter["name"] == "limit" else {"minimum": 0}
                    parameter["schema"].update(bounds)
            undocumented = UNDOCUMENTED.get(operation["operationId"], {})
            if operation.get("parameters") or operation.get("requestBody"):
                operation["responses"].setdefault("400", {"description": f"Undocumented: {INVALID_INPUT}"})
            for status, reason in undocumented.items():
                assert status not in operation["responses"], f"{operation['operationId']} now documents {status}"
                operation["responses"][status] = {"description": f"Undocumented: {reason}"}
            if operation["operationId"] in SUCCESS_EXAMPLES:
                media = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]
                media["example"] = SUCCESS_EXAMPLES[operation["operationId"]]
    return document


def sandbox_app() -> tuple[Starlette, list[int]]:
    """A fresh app over one list with recipients, a bounce and webhooks; returns the webhook ids too."""
    state = SandboxState([ClientAccount(CLIENT, USER, PASSWORD)])
    client = state.client(CLIENT)
    fields = [ListField("email", required=True), ListField("firstname"), ListField("age", "INTEGER")]
    client.lists[LIST] = RecipientList(LIST, "Newsletter", "Main list", fields)
    for recipient in RECIPIENTS:
        client.add_recipient(LIST, recipient, {"firstname": "Ann", "age": "41"})
    client.record_bounce(RECIPIENTS[0], "hardbounce", mailing_id=501, list_id=LIST)
    hooks = [client.create_webhook("open", "http://127.0.0.1:9/closed", {"type": "none"}) for _ in range(3)]
    client.activate_webhook(hooks[0].webhook_id)
    app = Starlette(routes=[Mount("/rest", app=build_rest_app(state, FaultSwitch()))])
    return app, [hook.webhook_id for hook in hooks]


class FreshSandbox:
    """The ASGI app under test, rebuilt before each generated request: every example starts from the
    same state, whatever the previous one deleted, so runs are repeatable and success paths reachable."""

    def __init__(self) -> None:
        self.app, self.webhook_ids = sandbox_app()

    def reset(self) -> None:
        self.app, _ = sandbox_app()

    async def __call__(self, scope, receive, send) -> None:
        await self.app(scope, receive, send)


SANDBOX = FreshSandbox()
DOCUMENT = contract_document()


def is_valid_on_the_wire(case, operation_id: str) -> bool:
    """A "negative" form body whose only fault is one scalar where a string array is declared.

    In application/x-www-form-urlencoded every value is text, and `mailIds=true` is a one-element
    array: the bytes sent are a valid request, which the sandbox must accept. Schemathesis (4.x)
    still expects a rejection.
    """
    if not case.meta.generation.mode.is_negative or not isinstance(case.body, dict):
        return False
    parameters = OPERATIONS[operation_id].parameters
    arrays = {p.name for p in parameters if p.location == "form" and p.schema["type"] == "array"}
    as_sent = {k: [_text(v)] if k in arrays and isinstance(v, str | int | float) else v for k, v in case.body.items()}
    if as_sent == case.body:
        return False
    body = case.operation.definition.raw["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    schema = DOCUMENT["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    return jsonschema.Draft4Validator(schema).is_valid(as_sent)


def _text(value: str | int | float) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


CONFIG = SchemathesisConfig.from_dict({
    "seed": SEED,
    "parameters": {
        "clientId": CLIENT,
        # Known ids half of the time, so that generated requests reach the sandbox's success paths too.
        "path.recipientListId": {"dictionary": "lists", "probability": 0.5},
        "path.recipientId": {"dictionary": "recipients", "probability": 0.5},
        "path.webhookId": {"dictionary": "webhooks", "probability": 0.5},
        "query.mailingId": {"dictionary": "mailings", "probability": 0.5},
        "body.recipientId": {"dictionary": "new_recipients", "probability": 0.5},
        "body.targetUrl": {"dictionary": "target_urls", "probability": 0.5},
        "body.authentication": {"dictionary": "authentications", "probability": 0.5},
    },
    "dictionaries": {"lists": {"values": [LIST]}, "recipients": {"values": RECIPIENTS},
                     "webhooks": {"values": SANDBOX.webhook_ids}, "mailings": {"values": [501]},
                     "new_recipients": {"values": ["new@example.com"]},
                     "target_urls": {"values": ["http://127.0.0.1:9/hook"]},
                     "authentications": {"values": ['{"type":"none"}',
                                                    '{"type":"keyAuth","key":"K","passphrase":"v"}']}},
    "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none",
                   "with-security-parameters": False},
    "phases": {"stateful": {"enabled": False}},
})
schema = schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT), config=CONFIG).include(
    operation_id=sorted(OPERATIONS)
)
schema.app = SANDBOX
STATUSES: dict[str, set[int]] = {}
"""The statuses each operation answered, to show that generation reached both success and refusal."""
AUTHORIZATION = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}


def positive_data_acceptance_but_semantic_400(ctx, response, case):
    """Schema-valid requests are accepted, except for a 400 from a rule listed in SEMANTIC_400."""
    if response.status_code == 400 and case.operation.definition.raw["operationId"] in SEMANTIC_400:
        return None
    return positive_data_acceptance(ctx, response, case)


CHECKS = [not_a_server_error, unsupported_method, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection, positive_data_acceptance_but_semantic_400]


@schema.parametrize()
@hypothesis.settings(derandomize=True, deadline=None, database=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
def test_the_sandbox_answers_generated_requests_as_the_document_says(case):
    operation_id = case.operation.definition.raw["operationId"]
    if is_valid_on_the_wire(case, operation_id):
        return
    SANDBOX.reset()
    response = case.call_and_validate(headers=AUTHORIZATION, checks=CHECKS)
    STATUSES.setdefault(operation_id, set()).add(response.status_code)


def test_generated_requests_reached_every_operations_success_path():
    if set(STATUSES) != set(OPERATIONS):
        pytest.skip("runs only after the generated requests of every operation")
    assert [(o, sorted(s)) for o, s in STATUSES.items() if not any(200 <= x < 300 for x in s)] == []
    assert [o for o, statuses in STATUSES.items() if not any(400 <= s < 500 for s in statuses)] == []
