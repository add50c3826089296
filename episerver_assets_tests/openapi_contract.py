"""Check real HTTP exchanges against the vendor's Campaign REST OpenAPI document (openapi-core).

Used by the sandbox's contract tests and by the REST client's: both sides are compared with the
vendor document, never with each other.

    spec = load_spec()
    operation_id = validate_exchange(spec, response.request, response)

`validate_exchange` takes a sent `httpx.Request` and its `httpx.Response` (e.g. `response.request`
of a response from any httpx client pointed at `.../rest`), maps the URL onto the spec's server
`https://api.campaign.episerver.net/rest` (everything from the first `/rest/` segment on is the
operation path), validates request and response, and returns the operationId
(`validate_request` and `validate_response` check one direction only). It raises
openapi-core's validation errors, `UndocumentedResponse` when the operation documents no answer
with that status (for example 401, which no operation lists), and `PathNotFound`/`OperationNotFound`
for requests the document does not describe at all.

The vendor document has defects that make correct traffic fail; `load_spec` repairs exactly these,
each asserted to still exist so that a corrected document is noticed (see `_repair`).
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.templating.responses.exceptions import ResponseNotFound
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_PATH = Path(__file__).parent / "fixtures" / "campaign" / "rest-openapi.json"
"""Verbatim copy of the vendor document (../shared/campaign/rest-openapi.json)."""

SPEC_HOST = "https://api.campaign.episerver.net"
SPEC_ROOT = "/rest"


class UndocumentedResponse(AssertionError):
    """The operation lists no response for this status; the test must decide about it explicitly."""

    def __init__(self, operation_id: str, status: int):
        super().__init__(f"{operation_id} documents no response with status {status}")
        self.operation_id = operation_id
        self.status = status


@functools.cache
def load_spec(path: Path = SPEC_PATH) -> OpenAPI:
    """The vendor document with its known defects repaired (cached: parsing takes a second)."""
    return OpenAPI.from_dict(_repair(json.loads(path.read_text(encoding="utf-8"))))


def _repair(document: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(document)
    schemas = document["components"]["schemas"]

    # 1. Three `source` parameters (getCampaignMessageContent*) default to "message", which is not in
    #    their enum ["EDITOR", "MESSAGE"]; the spec validator then rejects the whole document.
    bad_defaults = [
        parameter["schema"]
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for parameter in operation.get("parameters", [])
        if "enum" in parameter.get("schema", {})
        and "default" in parameter["schema"]
        and parameter["schema"]["default"] not in parameter["schema"]["enum"]
    ]
    assert len(bad_defaults) == 3, f"vendor default/enum defect changed: {bad_defaults}"
    for schema in bad_defaults:
        del schema["default"]

    # 2. Every `*StreamingCollection.links` is marked writeOnly, yet paged responses carry their
    #    `next` links there (the README's envelope); openapi-core rejects write-only properties in
    #    responses, so no paged response with a link could validate.
    collections = [s for name, s in schemas.items() if name.endswith("StreamingCollection")]
    assert all(s["properties"]["links"].get("writeOnly") for s in collections), "links defect changed"
    for schema in collections:
        del schema["properties"]["links"]["writeOnly"]

    # 3. `data` of bulk recipients (ExtendedRecipient, Recipient) declares every attribute value an
    #    *object* (a Java Map<String, Object> rendered wrongly); real values are strings and numbers.
    for name in ("ExtendedRecipient", "Recipient"):
        data = schemas[name]["properties"]["data"]
        assert data["additionalProperties"] == {"type": "object"}, f"{name}.data defect changed"
        data["additionalProperties"] = {}
    return document


class _OpenAPIRequest:
    """An httpx request as openapi-core's Request protocol, moved onto the spec's server."""

    def __init__(self, request: httpx.Request):
        path = request.url.path
        root = path.find(SPEC_ROOT + "/")
        if root < 0:
            raise ValueError(f"{request.url} has no {SPEC_ROOT}/ segment")
        self.host_url = SPEC_HOST
        self.path = path[root:]
        self.method = request.method.lower()
        self.body = request.read() or None
        self.content_type = request.headers.get("content-type", "")
        query = parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True)
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(query),
            header=Headers(list(request.headers.multi_items())),
            cookie=ImmutableMultiDict(),
        )

    @property
    def full_url(self) -> str:
        return self.host_url + self.path


class _OpenAPIResponse:
    def __init__(self, response: httpx.Response):
        self.status_code = response.status_code
        self.data = response.read()
        self.headers = Headers(list(response.headers.multi_items()))
        self.content_type = response.headers.get("content-type", "")


def operation_id(spec: OpenAPI, request: httpx.Request) -> str:
    """The operationId the document gives this request's method and path."""
    wrapped = _OpenAPIRequest(request)
    found = APICallPathFinder(spec.spec).find(wrapped.method, wrapped.full_url)
    return str(found.operation["operationId"])


def validate_request(spec: OpenAPI, request: httpx.Request) -> str:
    spec.validate_request(_OpenAPIRequest(request))
    return operation_id(spec, request)


def validate_response(spec: OpenAPI, request: httpx.Request, response: httpx.Response) -> str:
    """Validate only the answer (for requests that are deliberately wrong); returns the operationId."""
    found = operation_id(spec, request)
    try:
        spec.validate_response(_OpenAPIRequest(request), _OpenAPIResponse(response))
    except ResponseNotFound:
        raise UndocumentedResponse(found, response.status_code) from None
    return found


def validate_exchange(spec: OpenAPI, request: httpx.Request, response: httpx.Response) -> str:
    """Validate both directions of one exchange; returns the operationId."""
    validate_request(spec, request)
    return validate_response(spec, request, response)
