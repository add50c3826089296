"""The sandbox's REST API against the vendor document: declarations, refusals, unserved operations, 405.

`operations.OPERATIONS` is compared with the vendor's OpenAPI document operation by operation, so
the sandbox validates exactly what the document declares; the refusals the issue found are pinned
one by one; every vendor operation the sandbox does not serve answers a plain 404.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from episerver_assets.sandbox.rest.operations import OPERATIONS

from .openapi_contract import SPEC_PATH, _repair
from .test_sandbox_rest_behaviour import CLIENT, LIST, assert_error, make_state, running

DOCUMENT = _repair(json.loads(SPEC_PATH.read_text(encoding="utf-8")))
"""The vendor document with the `data` defect repaired (attribute values are not objects)."""
SAMPLE_PATH_VALUES = {"clientId": str(CLIENT), "recipientListId": str(LIST), "recipientId": "a@example.com",
                      "webhookId": "9", "entry": "x@example.com", "campaignId": "1"}


def vendor_operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, operation) for path, item in DOCUMENT["paths"].items()
            for method, operation in item.items() if isinstance(operation, dict) and "operationId" in operation]


def plain(schema: Any) -> Any:
    """A schema with references resolved and descriptions dropped, as `operations` writes it."""
    if isinstance(schema, list):
        return [plain(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return plain(DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]])
    return {key: plain(value) for key, value in schema.items() if key not in ("description", "required")}


def documented_parameters(path: str, operation: dict[str, Any]) -> set[tuple[str, str, bool, str]]:
    parameters = {(p["name"], p["in"], bool(p.get("required")), json.dumps(plain(p["schema"]), sort_keys=True))
                  for p in [*DOCUMENT["paths"][path].get("parameters", []), *operation.get("parameters", [])]
                  if p["name"] != "clientId"}
    form = operation.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded")
    if form:
        schema = DOCUMENT["components"]["schemas"][form["schema"]["$ref"].rsplit("/", 1)[-1]]
        parameters |= {(name, "form", name in schema.get("required", []), json.dumps(plain(s), sort_keys=True))
                       for name, s in schema["properties"].items()}
    return parameters


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_the_sandbox_validates_what_the_vendor_document_declares(operation_id):
    (path, _, operation), = [o for o in vendor_operations() if o[2]["operationId"] == operation_id]
    declared = OPERATIONS[operation_id]
    assert {(p.name, p.location, p.required, json.dumps(p.schema, sort_keys=True))
            for p in declared.parameters} == documented_parameters(path, operation)
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    assert declared.json_body == (plain(body["schema"]) if body else None)


@pytest.fixture(scope="module")
def sandbox():
    with running(make_state()) as running_sandbox:
        yield running_sandbox


@pytest.mark.parametrize(
    ("method", "path", "params", "data", "name"),
    [
        ("DELETE", f"/recipients/{LIST}", {"mediaType": "0"}, None, "mediaType"),
        ("GET", "/unsubscribes", {"offset": str(2**32)}, None, "offset"),
        ("GET", "/unsubscribes", {"mediaType": "email"}, None, "mediaType"),
        ("POST", f"/recipients/{LIST}/a@example.com", None, {"mode": ""}, "mode"),
        ("GET", "/recipientlists", {"includeTestLists": "1"}, None, "includeTestLists"),
        ("GET", f"/recipients/{LIST}", {"includeOptinData": "0"}, None, "includeOptinData"),
        ("GET", f"/recipients/{LIST}", {"limit": str(2**31)}, None, "limit"),
        ("GET", "/responses", {"category": "hardbounce", "mailingId": str(2**63)}, None, "mailingId"),
        ("GET", "/responses", {"category": "", "mailingId": "1"}, None, "category"),
        ("GET", "/webhooks/9/verify", {"mailingId": "1", "numberOfEvents": "101"}, None, "numberOfEvents"),
        ("GET", f"/recipientlists/{2**63}", None, None, "recipientListId"),
        ("GET", "/recipientlists/1.5/fields", None, None, "recipientListId"),
        ("POST", "/unsubscribes", None, {"recipientIds": "a@example.com", "recipientListId": "x"}, "recipientListId"),
        ("POST", "/webhooks", None, {"type": "open", "format": "xml", "targetUrl": "https://h.example"}, "format"),
        ("POST", "/blacklistentries", None, {"reason": "no entry"}, "entry"),
    ],
)
def test_parameters_the_document_forbids_get_400_naming_them(sandbox, method, path, params, data, name):
    body = assert_error(sandbox.http.request(method, path, params=params, data=data), 400)
    assert [v["property"] for v in body["violations"]] == [name]


@pytest.mark.parametrize(
    ("method", "path", "body", "name"),
    [
        ("PUT", f"/recipients/{LIST}", {"recipients": {"id": "a@example.com"}}, "body.recipients"),
        ("PUT", f"/recipients/{LIST}", {"recipients": [{"id": 5}]}, "body.recipients[0].id"),
        ("PUT", f"/recipients/{LIST}", {"optinProcessId": True}, "body.optinProcessId"),
        ("PUT", f"/recipients/{LIST}/modify", {"updateMode": "replace"}, "body.updateMode"),
        ("PUT", f"/recipients/{LIST}/modify", [], "body"),
    ],
)
def test_json_bodies_the_document_forbids_get_400_naming_the_part(sandbox, method, path, body, name):
    answer = assert_error(sandbox.http.request(method, path, json=body), 400)
    assert [v["property"] for v in answer["violations"]] == [name]


def test_negative_ids_are_numbers_of_nothing(sandbox):
    assert_error(sandbox.http.get("/recipientlists/-5"), 409)
    assert_error(sandbox.http.get("/recipients/-5/a@example.com"), 404)
    assert_error(sandbox.http.post("/webhooks/-5/activate"), 404)


def test_unsubscribes_are_filtered_by_media_type(sandbox):
    client = sandbox.state.client(CLIENT)
    client.unsubscribe("mail@example.com", media_type="EMAIL")
    client.unsubscribe("sms@example.com", media_type="SMS")
    by_type = {media: [e["recipientId"] for e in sandbox.http.get("/unsubscribes", params={"mediaType": media})
                       .json()["elements"]] for media in ("EMAIL", "SMS", "FAX")}
    assert by_type == {"EMAIL": ["mail@example.com"], "SMS": ["sms@example.com"], "FAX": []}


@pytest.mark.parametrize(
    ("path", "method"),
    [(p, m) for p, m, o in vendor_operations() if o["operationId"] not in OPERATIONS],
)
def test_vendor_operations_the_sandbox_does_not_serve_answer_a_plain_404(sandbox, path, method):
    url = path
    for name, value in SAMPLE_PATH_VALUES.items():
        url = url.replace("{" + name + "}", value)
    response = sandbox.http.request(method.upper(), sandbox.rest_url + url)
    body = assert_error(response, 404)
    assert body["violations"] == [] and "not found" in body["errorMessage"].lower()


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        (f"/recipients/{LIST}", "DELETE, GET, HEAD, POST, PUT"),
        (f"/recipients/{LIST}/modify", "PUT"),
        ("/recipientlists", "GET, HEAD"),
        ("/webhooks/9", "DELETE, PUT"),
        ("/unsubscribes", "GET, HEAD, POST"),
    ],
)
def test_405_names_every_method_served_at_the_path(sandbox, path, allowed):
    response = sandbox.http.request("PATCH", path)
    assert_error(response, 405)
    assert response.headers["allow"] == allowed


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("GET", "/modify", "PUT"), ("DELETE", "/modify", "PUT"), ("POST", "/count", "GET, HEAD"),
     ("DELETE", "/count", "GET, HEAD")],
)
def test_literal_paths_are_never_taken_for_a_recipient_id(sandbox, method, path, allowed):
    sandbox.add("count")  # a recipient whose id is the literal segment still does not shadow it
    response = sandbox.http.request(method, f"/recipients/{LIST}{path}")
    assert_error(response, 405)
    assert response.headers["allow"] == allowed
