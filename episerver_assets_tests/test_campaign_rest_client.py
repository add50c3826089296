"""Campaign REST client: operations, paging, typed records, errors, request contract.

Unit tests answer from an httpx.MockTransport; integration tests talk to the sandbox REST app over
HTTP on 127.0.0.1. The requests the client sends are validated against
the vendor OpenAPI document with openapi-core (`openapi_contract.py`).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs

import dagster as dg
import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from episerver_assets.campaign.errors import (
    CampaignAuthError,
    CampaignError,
    CampaignNotFound,
    CampaignRefusedOperation,
)
from episerver_assets.campaign.rest import (
    CampaignRestClient,
    CampaignRestResource,
    RecipientData,
    UpsertOutcome,
    WebhookAuthentication,
)
from episerver_assets.campaign.retry import RetryPolicy

from episerver_assets.sandbox.faults import FaultSwitch
from episerver_assets.sandbox.http import BackgroundHttpServer
from episerver_assets.sandbox.rest_app import build_rest_app
from episerver_assets.sandbox.state import ClientAccount, SandboxState
from episerver_assets.sandbox.state import ListField as SandboxField
from episerver_assets.sandbox.state import RecipientList as SandboxList

from .openapi_contract import load_spec, validate_exchange, validate_request

PASSWORD = "s3cret-pa55"
T0 = "2024-05-01T10:00:00.000+00:00"


# --- helpers shared with test_campaign_rest_faults.py ------------------------------------------

def fast_policy(max_attempts: int = 4) -> tuple[RetryPolicy, list[float]]:
    """A retry policy whose waits are recorded instead of slept, with jitter pinned to the ceiling."""
    waits: list[float] = []
    return RetryPolicy(max_attempts, base_delay=0.01, max_delay=0.08, random=lambda: 1.0, sleep=waits.append), waits


def make_client(handler: Callable[[httpx.Request], httpx.Response], *, max_attempts: int = 4,
                **settings) -> tuple[CampaignRestClient, list[float]]:
    """A client on a MockTransport, with a unique rest_url so the process-wide throttle is its own."""
    resource = CampaignRestResource(
        rest_url=f"http://campaign-{uuid.uuid4().hex[:8]}.test/rest", client_id="1000",
        api_user="api-user", api_password=PASSWORD, **settings,
    )
    policy, waits = fast_policy(max_attempts)
    return resource.get_client(transport=httpx.MockTransport(handler), policy=policy), waits


def recipient_json(i: int, modified: str = T0) -> dict:
    return {"id": f"r{i}@example.com", "created": T0, "modified": modified, "email": f"r{i}@example.com",
            "firstname": f"F{i}"}


def paged(request: httpx.Request, items: list[dict], with_links: bool = True) -> httpx.Response:
    """Campaign's paged envelope for `items`, honouring offset/limit, with an absolute next link."""
    offset = int(request.url.params.get("offset", 0))
    limit = int(request.url.params.get("limit", 100))
    page = items[offset:offset + limit]
    body: dict = {"elements": page, "count": len(page), "offset": offset, "limit": limit}
    if with_links:
        more = offset + limit < len(items)
        body["links"] = [{"rel": "next", "href": str(request.url.copy_merge_params({"offset": offset + limit}))}] if more else []
    return httpx.Response(200, json=body)


def form(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(request.content.decode(), keep_blank_values=True)


# --- unit tests on a MockTransport ------------------------------------------------------------

def test_paging_follows_next_links_and_returns_typed_recipients():
    items = [recipient_json(i) for i in range(25)]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return paged(request, items)

    client, _ = make_client(handler, page_size=10)
    recipients = list(client.recipients(7, ["email", "firstname"]))
    assert [r.id for r in recipients] == [f"r{i}@example.com" for i in range(25)]
    assert recipients[3].attributes == {"email": "r3@example.com", "firstname": "F3"}
    assert recipients[0].modified == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert [r.url.params.get("offset") for r in seen] == ["0", "10", "20"]
    assert all(r.url.params["attributeNames"] == "email,firstname" for r in seen)
    assert seen[0].url.path == "/rest/1000/recipients/7"


def test_paging_falls_back_to_offset_when_body_has_no_links():
    items = [recipient_json(i) for i in range(20)]
    client, _ = make_client(lambda request: paged(request, items, with_links=False), page_size=10)
    assert len(list(client.recipients(7))) == 20


def test_next_link_to_another_host_is_refused_so_credentials_stay_home():
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"elements": [recipient_json(1)], "links": [{"rel": "next", "href": "http://evil.test/rest/1000/x"}]}
        return httpx.Response(200, json=body)

    client, _ = make_client(handler)
    with pytest.raises(CampaignError, match="leaves the API"):
        list(client.recipients(7))


def test_basic_auth_and_client_id_in_path():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": 5, "username": "api-user", "email": "a@b.de"})

    client, _ = make_client(handler)
    assert client.check().ok
    expected = "Basic " + base64.b64encode(f"api-user:{PASSWORD}".encode()).decode()
    assert seen[0].headers["Authorization"] == expected
    assert seen[0].url.path == "/rest/1000/users/authenticated"


def test_errors_carry_status_message_method_url_but_never_credentials():
    def handler(request: httpx.Request) -> httpx.Response:
        status = 401 if request.url.path.endswith("authenticated") else 404
        return httpx.Response(status, json={"httpStatusCode": status, "errorMessage": "Recipient list 9 not found"})

    client, _ = make_client(handler)
    with pytest.raises(CampaignNotFound) as caught:
        client.recipient_list(9)
    error = caught.value
    assert (error.status, error.message, error.method) == (404, "Recipient list 9 not found", "GET")
    assert error.url.endswith("/rest/1000/recipientlists/9")
    text = str(error) + repr(error.__dict__)
    assert PASSWORD not in text and "Authorization" not in text and "Basic " not in text
    result = client.check()
    assert not result.ok and "401" in result.message and PASSWORD not in result.message
    with pytest.raises(CampaignAuthError):
        client.authenticated_user()


def test_recipient_lists_fields_and_attribute_names():
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/fields"):
            return httpx.Response(200, json={"elements": [
                {"internalName": "email", "displayName": "E-Mail", "type": "STRING", "required": True}]})
        if path.endswith("/attributeNames"):
            return httpx.Response(200, json={"attributeNames": ["email", "firstname"]})
        if path.endswith("/recipientlists/7"):
            return httpx.Response(200, json={"id": 7, "name": "Main", "recipients": 3, "created": T0})
        return paged(request, [{"id": 7, "name": "Main"}, {"id": 8, "name": "Test", "testList": True}])

    client, _ = make_client(handler)
    assert [(rl.id, rl.name) for rl in client.recipient_lists()] == [(7, "Main"), (8, "Test")]
    assert client.recipient_list(7).recipient_count == 3
    field = client.list_fields(7)[0]
    assert (field.internal_name, field.type, field.required) == ("email", "STRING", True)
    assert client.attribute_names(7) == ["email", "firstname"]


def test_upsert_adds_updates_on_409_and_reports_rejections():
    existing = {"old@example.com"}
    blocked = {"blocked@example.com"}
    updates: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split("/")
        if request.method == "POST" and len(parts) == 5:  # /rest/1000/recipients/7: add
            rid = form(request)["recipientId"][0]
            if rid in existing or rid in blocked:
                return httpx.Response(409, json={"httpStatusCode": 409, "errorMessage": f"{rid} exists or blocked"})
            existing.add(rid)
            return httpx.Response(201, json={"id": rid, "created": T0, "modified": T0})
        if request.method == "POST":  # update
            rid = parts[-1]
            if rid not in existing:
                return httpx.Response(404, json={"httpStatusCode": 404, "errorMessage": "not in list"})
            updates.append(form(request))
            return httpx.Response(200, json={"id": rid, "created": T0, "modified": T0})
        raise AssertionError(request)

    client, _ = make_client(handler)
    new = client.upsert_recipient(7, RecipientData("new@example.com", {"firstname": "N"}))
    old = client.upsert_recipient(7, RecipientData("old@example.com", {"firstname": "O"}))
    rejected = client.upsert_recipient(7, RecipientData("blocked@example.com", {"firstname": "B"}))
    assert [new.outcome, old.outcome, rejected.outcome] == [UpsertOutcome.ADDED, UpsertOutcome.UPDATED,
                                                            UpsertOutcome.REJECTED]
    assert "blocked" in rejected.message
    assert updates == [{"data.firstname": ["O"], "mode": ["set"]}]


def test_bulk_add_sends_batches_of_1000_and_sums_results():
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        batch = json.loads(request.content)["recipients"]
        sizes.append(len(batch))
        failed = [r["id"] for r in batch if r["id"].startswith("dup")]
        return httpx.Response(200, json={"count": len(batch) - len(failed), "failedIds": failed})

    client, _ = make_client(handler)
    recipients = [RecipientData(f"{'dup' if i % 500 == 0 else 'r'}{i}@example.com", {"firstname": "x"})
                  for i in range(2500)]
    result = client.add_recipients(7, iter(recipients))
    assert sizes == [1000, 1000, 500]
    assert result.count == 2495 and len(result.failed_ids) == 5 and not result.uncertain


def test_delete_by_ids_and_refusal_to_delete_a_whole_list_unconfirmed():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    client, _ = make_client(handler)
    assert client.delete_recipients(7, []) == 0
    assert seen == []
    with pytest.raises(CampaignRefusedOperation):
        client.delete_all_recipients(7)
    with pytest.raises(CampaignRefusedOperation):
        client.delete_all_recipients(7, confirm="yes")  # type: ignore[arg-type]
    assert seen == []
    assert client.delete_recipients(7, (f"r{i}@example.com" for i in range(150))) == 150
    assert [len(r.url.params["recipientIds"].split(",")) for r in seen] == [100, 50]
    seen.clear()
    client.delete_all_recipients(7, confirm=True)
    assert len(seen) == 1 and seen[0].method == "DELETE" and not seen[0].url.params


def test_recipients_modified_since_uses_a_client_side_watermark():
    items = [recipient_json(1, "2024-05-01T10:00:00.000+00:00"), recipient_json(2, "2024-05-02T10:00:00.000+00:00"),
             recipient_json(3, "2024-05-03T10:00:00.000+00:00")]
    client, _ = make_client(lambda request: paged(request, items))
    everything, mark = client.recipients_modified_since(7, None)
    assert len(everything) == 3 and mark == datetime(2024, 5, 3, 10, tzinfo=UTC)
    since, mark2 = client.recipients_modified_since(7, datetime(2024, 5, 2, 10, tzinfo=UTC))
    assert [r.id for r in since] == ["r2@example.com", "r3@example.com"] and mark2 == mark


def test_suppressions_and_bounces():
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/unsubscribes") and request.method == "POST":
            ids = form(request)["recipientIds"]
            return httpx.Response(200, json={"successfulIds": ids, "unsuccessfulIds": []})
        if path.endswith("/unsubscribes"):
            return paged(request, [{"recipientId": "u@example.com", "reason": "api", "created": T0}])
        if path.endswith("/blacklistentries") and request.method == "POST":
            return httpx.Response(201, json={"pattern": form(request)["entry"][0], "created": T0})
        if path.endswith("/blacklistentries"):
            return paged(request, [{"pattern": "*@spam.test", "reason": "spam"}])
        if path.endswith("/responses"):
            assert request.url.params["category"] == "hardbounce" and request.url.params["mailingId"] == "3"
            return paged(request, [{"recipientId": "b@example.com", "category": "hardbounce", "mailingId": 3}])
        raise AssertionError(request)

    client, _ = make_client(handler)
    assert [u.recipient_id for u in client.unsubscribes()] == ["u@example.com"]
    assert client.add_unsubscribes(["a@example.com", "b@example.com"]).successful_ids == ("a@example.com", "b@example.com")
    assert [e.pattern for e in client.blocklist()] == ["*@spam.test"]
    assert client.add_blocklist_entry("*@bad.test", "test").pattern == "*@bad.test"
    bounce = next(client.bounces("hardbounce", mailing_id=3))
    assert (bounce.recipient_id, bounce.mailing_id) == ("b@example.com", 3)
    with pytest.raises(ValueError):
        list(client.bounces("autoresponder", mailing_id=3))
    with pytest.raises(ValueError, match="mailing_id or recipient_ids"):
        list(client.bounces("hardbounce"))


def test_webhooks_lifecycle_keeps_secrets_out_of_records():
    hooks: dict[int, dict] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split("/")
        if request.method == "GET" and parts[-1] == "webhooks":
            return httpx.Response(200, json=list(hooks.values()))
        if request.method == "POST" and parts[-1] == "webhooks":
            data = {k: v[0] for k, v in form(request).items()}
            hook = {"id": len(hooks) + 1, "type": data["type"], "format": data["format"],
                    "targetUrl": data["targetUrl"], "status": "created",
                    "authentication": json.loads(data["authentication"])}
            hooks[hook["id"]] = hook
            return httpx.Response(201, json=hook)
        if parts[-1] in ("activate", "deactivate"):
            hooks[int(parts[-2])]["status"] = parts[-1] + "d"
            return httpx.Response(200, json=hooks[int(parts[-2])])
        if parts[-1] == "verify":
            return httpx.Response(200, json=[{"id": int(parts[-2]), "httpStatusCode": 200, "numberOfEvents": 1}])
        if request.method == "DELETE":
            hooks.pop(int(parts[-1]))
            return httpx.Response(204)
        raise AssertionError(request)

    client, _ = make_client(handler)
    hook = client.create_webhook("open", "https://hooks.test/in", WebhookAuthentication.basic("u", "hook-pass"))
    assert hooks[hook.id]["authentication"] == {"type": "basicAuth", "userName": "u", "password": "hook-pass"}
    assert hook.authentication_type == "basicAuth" and "hook-pass" not in repr(hook)
    assert "hook-pass" not in repr(WebhookAuthentication.basic("u", "hook-pass"))
    assert client.activate_webhook(hook.id).status == "activated"
    assert client.verify_webhook(hook.id, mailing_id=3)[0].http_status_code == 200
    assert client.deactivate_webhook(hook.id).status == "deactivated"
    client.delete_webhook(hook.id)
    assert client.webhooks() == []


def test_every_request_the_client_sends_validates_against_the_openapi_spec():
    """Exercise each operation against canned answers and validate every request it sent."""
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        path, method = request.url.path, request.method
        if method == "GET" and path.endswith("/webhooks"):
            return httpx.Response(200, json=[])
        if method == "POST" and path.endswith("/webhooks"):
            return httpx.Response(201, json={"id": 1, "type": "open", "targetUrl": "https://h.test"})
        if "/webhooks/" in path and path.endswith("/verify"):
            return httpx.Response(200, json=[])
        if "/webhooks/" in path:
            return httpx.Response(204) if method == "DELETE" else httpx.Response(
                200, json={"id": 1, "type": "open", "targetUrl": "https://h.test"})
        if method == "GET" and path.endswith("/count"):
            return httpx.Response(200, json={"count": 1})
        if method == "GET" and path.endswith("/attributeNames"):
            return httpx.Response(200, json={"attributeNames": ["email"]})
        if method == "GET" and path.endswith("/authenticated"):
            return httpx.Response(200, json={"id": 1, "username": "u"})
        if method == "GET" and path.endswith("/recipientlists/7"):
            return httpx.Response(200, json={"id": 7})
        if method == "GET" and "/blacklistentries/" in path:
            assert request.url.raw_path.endswith(b"/blacklistentries/%2A%40x.test")
            return httpx.Response(200, json={"pattern": "*@x.test"})
        if method == "GET" and path.count("/") == 5 and "/recipients/" in path:
            return httpx.Response(200, json=recipient_json(1))
        if method == "GET":
            return httpx.Response(200, json={"elements": [], "links": []})
        if method == "DELETE":
            return httpx.Response(204)
        if method == "PUT":
            return httpx.Response(200, json={"count": 1, "failedIds": []})
        if path.endswith("/blacklistentries"):
            return httpx.Response(201, json={"pattern": "*@x.test"})
        if path.endswith("/unsubscribes"):
            return httpx.Response(200, json={"successfulIds": [], "unsuccessfulIds": []})
        return httpx.Response(201, json=recipient_json(1))

    client, _ = make_client(handler)
    data = RecipientData("a@example.com", {"firstname": "A", "score": 3}, address="a@example.com")
    client.check()
    client.recipient_lists()
    client.recipient_list(7)
    client.list_fields(7)
    client.attribute_names(7)
    list(client.recipients(7, ["email", "firstname"]))
    client.count_recipients(7)
    client.get_recipient(7, "a+b@example.com", ["email"])
    client.add_recipient(7, data, optin_process_id=2)
    client.update_recipient(7, data, mode="append")
    client.add_recipients(7, [data], optin_process_id=2)
    client.modify_recipients(7, [data])
    client.delete_recipient(7, "a@example.com")
    client.delete_recipients(7, ["a@example.com", "b@example.com"])
    client.delete_all_recipients(7, confirm=True)
    list(client.unsubscribes(recipient_list_id=7))
    client.add_unsubscribes(["a@example.com", "b@example.com"], recipient_list_id=7)
    list(client.blocklist())
    client.get_blocklist_entry("*@x.test")
    client.add_blocklist_entry("*@x.test", "test")
    list(client.bounces("softbounce", mailing_id=3))
    hook = client.create_webhook("click", "https://h.test", WebhookAuthentication.header("X-Key", "k"))
    client.update_webhook(hook.id, "click", "https://h.test/2")
    client.activate_webhook(hook.id)
    client.deactivate_webhook(hook.id)
    client.verify_webhook(hook.id, mailing_id=3, number_of_events=2)
    client.delete_webhook(hook.id)

    spec = load_spec()
    operations = {validate_request(spec, request) for request in requests}
    assert len(requests) >= 28 and len(operations) == 27, sorted(operations)
    # The validator does reject what the contract forbids.
    bad = httpx.Request("GET", client._session.url("responses"), params={"category": "bogus"},
                        headers={"Authorization": "Basic eDp5"})
    with pytest.raises(Exception, match="category|bogus|enum"):
        validate_request(spec, bad)


def test_resource_reads_its_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("EPISERVER_REST_URL", "http://127.0.0.1:9/rest")
    monkeypatch.setenv("EPISERVER_CLIENT_ID", "4242")
    monkeypatch.setenv("EPISERVER_API_USER", "env-user")
    monkeypatch.setenv("EPISERVER_API_PASSWORD", "env-pass")
    configured = CampaignRestResource(
        rest_url=dg.EnvVar("EPISERVER_REST_URL"), client_id=dg.EnvVar("EPISERVER_CLIENT_ID"),
        api_user=dg.EnvVar("EPISERVER_API_USER"), api_password=dg.EnvVar("EPISERVER_API_PASSWORD"),
    )
    with dg.build_resources({"rest": configured}) as resources:
        rest: CampaignRestResource = resources.rest
        assert (rest.rest_url, rest.client_id, rest.api_user) == ("http://127.0.0.1:9/rest", "4242", "env-user")
        assert "env-pass" not in repr(rest)
        with rest.client() as client:
            assert client._session.url("recipients", 7) == "http://127.0.0.1:9/rest/4242/recipients/7"


# --- integration: the real client against the sandbox over HTTP on 127.0.0.1 --------------------

SANDBOX_CLIENT, SANDBOX_USER, SANDBOX_PASSWORD, LIST = 1000, "sandbox-api", "sandbox-secret", 77


@dataclass
class RunningSandbox:
    state: SandboxState
    faults: FaultSwitch
    rest_url: str

    @property
    def campaign(self):
        return self.state.client(SANDBOX_CLIENT)

    def list_ids(self) -> set[str]:
        with self.campaign.lock:
            return set(self.campaign.lists[LIST].recipients)

    def client(self, *, max_attempts: int = 6, record: list[httpx.Response] | None = None,
               **settings) -> CampaignRestClient:
        """A client with short real backoff waits; `record` collects every response it receives."""
        resource = CampaignRestResource(rest_url=self.rest_url, client_id=str(SANDBOX_CLIENT),
                                        api_user=SANDBOX_USER, api_password=SANDBOX_PASSWORD, **settings)
        client = resource.get_client(policy=RetryPolicy(max_attempts, base_delay=0.005, max_delay=0.05))
        if record is not None:
            client.http.event_hooks["response"].append(record.append)
        return client


@contextmanager
def running_sandbox(faults: FaultSwitch | None = None, **options) -> Iterator[RunningSandbox]:
    """The sandbox REST app mounted at /rest, served on a free 127.0.0.1 port, with list 77."""
    state = SandboxState([ClientAccount(SANDBOX_CLIENT, SANDBOX_USER, SANDBOX_PASSWORD)])
    fields = [SandboxField("email", required=True), SandboxField("firstname"), SandboxField("lastname")]
    state.client(SANDBOX_CLIENT).lists[LIST] = SandboxList(LIST, "Newsletter", "Main list", fields)
    faults = faults or FaultSwitch()
    app = Starlette(routes=[Mount("/rest", app=build_rest_app(state, faults, **options))])
    with BackgroundHttpServer(app) as server:
        yield RunningSandbox(state, faults, f"{server.base_url}/rest")


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox() as running:
        yield running


def validate_exchanges(responses: list[httpx.Response]) -> set[str]:
    """Validate every recorded request, and every success response, against the vendor document.

    Error responses are left out: the document lists few error statuses (no 401, no 404 for
    updates), so a sandbox 4xx would fail for the document's gaps, not the client's.
    """
    spec = load_spec()
    return {validate_exchange(spec, r.request, r) if r.status_code < 400 else validate_request(spec, r.request)
            for r in responses}


def test_sandbox_lists_fields_and_paged_recipients(sandbox):
    for i in range(250):
        sandbox.campaign.add_recipient(LIST, f"user{i:03}@example.com", {"firstname": f"F{i}", "lastname": "L"})
    responses: list[httpx.Response] = []
    with sandbox.client(page_size=100, record=responses) as client:
        assert client.check().ok
        assert [(rl.id, rl.name) for rl in client.recipient_lists()] == [(LIST, "Newsletter")]
        assert client.recipient_list(LIST).name == "Newsletter"
        assert [f.internal_name for f in client.list_fields(LIST)] == ["email", "firstname", "lastname"]
        assert client.attribute_names(LIST) == ["email", "firstname", "lastname"]
        recipients = list(client.recipients(LIST, ["email", "firstname"]))
        assert client.count_recipients(LIST) == 250
        assert client.get_recipient(LIST, "nobody@example.com") is None
    assert [r.id for r in recipients] == [f"user{i:03}@example.com" for i in range(250)]
    assert recipients[7].attributes["firstname"] == "F7" and recipients[7].modified is not None
    selects = [r for r in responses if r.request.url.path.endswith(f"/recipients/{LIST}")]
    assert len(selects) == 3  # 100 + 100 + 50, by next links
    assert {"selectRecipients", "countRecipients", "getRecipient", "getRecipientListFields",
            "getAuthenticatedUser"} <= validate_exchanges(responses)


def test_sandbox_upsert_bulk_add_and_deletes(sandbox):
    sandbox.campaign.add_recipient(LIST, "old@example.com", {"firstname": "Old"})
    sandbox.campaign.unsubscribe("gone@example.com")
    responses: list[httpx.Response] = []
    with sandbox.client(record=responses, bulk_batch_size=1000) as client:
        outcomes = [client.upsert_recipient(LIST, RecipientData(rid, {"email": rid, "firstname": "New"})).outcome
                    for rid in ("new@example.com", "old@example.com", "gone@example.com")]
        assert outcomes == [UpsertOutcome.ADDED, UpsertOutcome.UPDATED, UpsertOutcome.REJECTED]
        assert client.get_recipient(LIST, "old@example.com", ["firstname"]).attributes["firstname"] == "New"

        bulk = [RecipientData(f"bulk{i:04}@example.com", {"email": f"bulk{i:04}@example.com", "firstname": "B"})
                for i in range(2500)]
        first = client.add_recipients(LIST, bulk[:2000])
        again = client.add_recipients(LIST, bulk)  # 2000 already there: refused, not duplicated
        assert (first.count, first.failed_ids) == (2000, ())
        assert again.count == 500 and len(again.failed_ids) == 2000 and not again.uncertain
        assert client.count_recipients(LIST) == 2502

        modified = client.modify_recipients(LIST, [RecipientData("old@example.com", {"lastname": "Z"}),
                                                   RecipientData("nobody@example.com", {"lastname": "Z"})])
        assert modified.failed_ids == ("nobody@example.com",)

        assert client.delete_recipient(LIST, "new@example.com") and not client.delete_recipient(LIST, "new@example.com")
        assert client.delete_recipients(LIST, [r.id for r in bulk[:150]]) == 150
        assert client.count_recipients(LIST) == 2351
        with pytest.raises(CampaignRefusedOperation):
            client.delete_all_recipients(LIST)
        assert client.count_recipients(LIST) == 2351
        client.delete_all_recipients(LIST, confirm=True)
        assert client.count_recipients(LIST) == 0
    assert {"addRecipient", "modifyRecipientAttributes", "addRecipients", "modifyRecipientsAttributes",
            "deleteRecipient", "deleteRecipients"} <= validate_exchanges(responses)


def test_sandbox_suppressions_bounces_and_webhooks(sandbox):
    sandbox.campaign.record_bounce("b@example.com", "hardbounce", mailing_id=5, list_id=LIST)
    sandbox.campaign.record_bounce("s@example.com", "softbounce", mailing_id=5, list_id=LIST)
    responses: list[httpx.Response] = []
    with sandbox.client(record=responses) as client:
        result = client.add_unsubscribes(["u1@example.com", "u2@example.com"])
        assert set(result.successful_ids) == {"u1@example.com", "u2@example.com"}
        assert {u.recipient_id for u in client.unsubscribes()} == {"u1@example.com", "u2@example.com"}
        assert client.add_blocklist_entry("*@spam.test", "spam").pattern == "*@spam.test"
        assert [(e.pattern, e.reason) for e in client.blocklist()] == [("*@spam.test", "spam")]
        assert [b.recipient_id for b in client.bounces("hardbounce", mailing_id=5)] == ["b@example.com"]
        assert [b.recipient_id for b in client.bounces("softbounce", mailing_id=5)] == ["s@example.com"]
        by_id = client.bounces("hardbounce", recipient_ids=["b@example.com", "s@example.com"])
        assert [(b.recipient_id, b.mailing_id) for b in by_id] == [("b@example.com", 5)]

        auth = WebhookAuthentication.basic("hook-user", "hook-secret")
        hook = client.create_webhook("open", "https://hooks.example/in", auth)
        assert (hook.status, hook.authentication_type) == ("created", "basicAuth")
        assert client.activate_webhook(hook.id).status == "activated"
        with pytest.raises(CampaignError, match="400"):
            client.delete_webhook(hook.id)  # still active
        target = f"{sandbox.rest_url}/no-such-receiver"  # on loopback; the sandbox answers 404
        updated = client.update_webhook(hook.id, "click", target)
        assert (updated.type, updated.target_url) == ("click", target)
        verified = client.verify_webhook(hook.id, mailing_id=5, number_of_events=2)
        assert [(v.webhook_id, v.number_of_events, v.http_status_code) for v in verified] == [(hook.id, 2, 404)]
        assert client.deactivate_webhook(hook.id).status == "deactivated"
        client.delete_webhook(hook.id)
        assert client.webhooks() == []
    assert {"createUnsubscribes", "selectUnsubscribes", "createBlacklistEntry", "selectResponses",
            "createWebhook", "activateWebhook", "updateWebhook", "verifyWebhook", "deleteWebhook"} <= validate_exchanges(
        responses)


def test_sandbox_recipients_modified_since_watermark(sandbox):
    stamps = {f"w{i}@example.com": datetime(2024, 5, i + 1, tzinfo=UTC) for i in range(4)}
    for rid, stamp in stamps.items():
        sandbox.campaign.add_recipient(LIST, rid, {})
        sandbox.campaign.lists[LIST].recipients[rid].modified = stamp
    with sandbox.client(page_size=3) as client:
        first, mark = client.recipients_modified_since(LIST, None)
        assert len(first) == 4 and mark == datetime(2024, 5, 4, tzinfo=UTC)
        client.update_recipient(LIST, RecipientData("w1@example.com", {"firstname": "changed"}))
        changed, new_mark = client.recipients_modified_since(LIST, mark)
    assert {r.id for r in changed} == {"w1@example.com", "w3@example.com"}  # w3: at the watermark
    assert new_mark > mark
