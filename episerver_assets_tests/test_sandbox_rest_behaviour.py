"""Behaviour of the sandbox's Campaign REST API over real HTTP on 127.0.0.1.

What clients must be able to rely on: 401 with the error body, paging by `next` links, the limit
ceiling, at most 10 recipient queries in flight, add/409/update, delete-all semantics,
suppressions, webhook status rules and the fault switch.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from episerver_assets.sandbox.faults import FaultSwitch
from episerver_assets.sandbox.http import BackgroundHttpServer
from episerver_assets.sandbox.rest_app import build_rest_app
from episerver_assets.sandbox.state import (
    BOUNCE_THRESHOLD,
    ClientAccount,
    ListField,
    RecipientList,
    SandboxState,
    TargetGroup,
)

CLIENT, USER, PASSWORD = 1000, "sandbox-api", "sandbox-secret"
LIST = 77
AWKWARD = {"firstname": 'Jürgen "Jo"; Ölmann', "lastname": "O'Brien; Smith, Straße 5 €"}


@dataclass
class Sandbox:
    state: SandboxState
    faults: FaultSwitch
    rest_url: str
    http: httpx.Client
    """Authenticated as client 1000, based at `{rest_url}/1000`."""

    def add(self, recipient_id: str, **attributes: str) -> None:
        self.state.client(CLIENT).add_recipient(LIST, recipient_id, attributes)


def make_state() -> SandboxState:
    state = SandboxState([ClientAccount(CLIENT, USER, PASSWORD), ClientAccount(1001, "other-api", "other-secret")])
    fields = [ListField("email", required=True), ListField("firstname"), ListField("lastname")]
    fields.append(ListField("age", "INTEGER"))
    state.client(CLIENT).lists[LIST] = RecipientList(LIST, "Newsletter", "Main list", fields)
    return state


@contextmanager
def running(state: SandboxState, faults: FaultSwitch | None = None, **options):
    faults = faults or FaultSwitch()
    app = Starlette(routes=[Mount("/rest", app=build_rest_app(state, faults, **options))])
    with BackgroundHttpServer(app) as server:
        rest_url = f"{server.base_url}/rest"
        with httpx.Client(base_url=f"{rest_url}/{CLIENT}", auth=(USER, PASSWORD), timeout=10) as http:
            yield Sandbox(state, faults, rest_url, http)


@pytest.fixture
def sandbox():
    with running(make_state()) as running_sandbox:
        yield running_sandbox


def assert_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["httpStatusCode"] == status
    assert isinstance(body["errorMessage"], str) and body["errorMessage"]
    assert isinstance(body["violations"], list)
    return body


# Authentication


@pytest.mark.parametrize(
    ("path", "auth"),
    [
        ("/1000/recipientlists", None),
        ("/1000/recipientlists", (USER, "wrong")),
        ("/1001/recipientlists", (USER, PASSWORD)),  # right credentials, another client
        ("/9999/recipientlists", (USER, PASSWORD)),
        ("/abc/recipientlists", (USER, PASSWORD)),
    ],
)
def test_requests_without_the_clients_credentials_get_401(sandbox, path, auth):
    response = httpx.get(sandbox.rest_url + path, auth=auth)
    assert_error(response, 401)
    assert response.headers["www-authenticate"].startswith("Basic")


def test_authenticated_user_names_the_api_user(sandbox):
    assert sandbox.http.get("/users/authenticated").json()["username"] == USER


# Paging


def test_paging_follows_next_links_to_the_last_page(sandbox):
    for i in range(7):
        sandbox.add(f"user{i}@example.com", firstname=f"F{i}", age=str(30 + i))
    url = "/recipients/77?limit=3&attributeNames=firstname,age"
    pages = []
    while url:
        body = sandbox.http.get(url).json()
        pages.append(body)
        assert body["count"] == len(body["elements"])
        next_links = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url = next_links[0] if next_links else None
        assert url is None or url.startswith(sandbox.rest_url + "/1000/recipients/77?")
    assert [p["offset"] for p in pages] == [0, 3, 6]
    assert [p["count"] for p in pages] == [3, 3, 1]
    elements = [e for p in pages for e in p["elements"]]
    assert [e["id"] for e in elements] == [f"user{i}@example.com" for i in range(7)]
    assert elements[4]["firstname"] == "F4" and elements[4]["age"] == 34
    assert {"created", "modified"} <= elements[0].keys()


def test_limit_of_10000_or_more_is_refused(sandbox):
    assert sandbox.http.get("/recipients/77", params={"limit": 9999}).status_code == 200
    for path in ("/recipients/77", "/recipientlists", "/unsubscribes", "/blacklistentries", "/webhooks"):
        assert_error(sandbox.http.get(path, params={"limit": 10000}), 400)


# Concurrency limit


def test_the_eleventh_concurrent_recipient_query_gets_429():
    entered = threading.Semaphore(0)
    release = threading.Event()

    async def hold_query() -> None:
        entered.release()
        await anyio.to_thread.run_sync(release.wait)

    with running(make_state(), recipient_query_hook=hold_query) as sandbox, ThreadPoolExecutor(10) as pool:
        try:
            paths = ["/recipients/77", "/recipients/77/count"] * 5
            held = [pool.submit(sandbox.http.get, path) for path in paths]
            for _ in range(10):
                assert entered.acquire(timeout=10), "ten queries should be in flight"
            assert_error(sandbox.http.get("/recipients/77"), 429)
            assert_error(sandbox.http.get("/recipients/77/count"), 429)
            assert sandbox.http.get("/recipientlists").status_code == 200  # other calls are not limited
        finally:
            release.set()
        assert [f.result(timeout=10).status_code for f in held] == [200] * 10
        assert sandbox.http.get("/recipients/77/count").json() == {"count": 0}


# Recipients


def test_add_is_201_then_409_and_update_changes_the_attributes(sandbox):
    form = {"recipientId": "anna@example.com", "data.firstname": "Anna"}
    created = sandbox.http.post("/recipients/77", data=form)
    assert created.status_code == 201
    assert created.json()["id"] == "anna@example.com"
    assert_error(sandbox.http.post("/recipients/77", data=form), 409)
    updated = sandbox.http.post("/recipients/77/anna@example.com", data={"data.firstname": "-Marie", "mode": "append"})
    assert updated.status_code == 200
    assert updated.json()["firstname"] == "Anna-Marie"
    assert updated.json()["modified"] >= created.json()["modified"]
    assert_error(sandbox.http.post("/recipients/77/nobody@example.com", data={"data.firstname": "X"}), 404)


def test_add_refuses_suppressed_and_invalid_addresses(sandbox):
    client = sandbox.state.client(CLIENT)
    client.unsubscribe("gone@example.com")
    client.add_blocklist_entry("*@spam.example", "spam trap")
    for _ in range(BOUNCE_THRESHOLD):
        client.record_bounce("dead@example.com", "hardbounce")
    for address in ("gone@example.com", "x@spam.example", "dead@example.com"):
        assert_error(sandbox.http.post("/recipients/77", data={"recipientId": address}), 409)
    assert_error(sandbox.http.post("/recipients/77", data={"recipientId": "not-an-address"}), 400)
    assert_error(sandbox.http.post("/recipients/77", data={"data.firstname": "no id"}), 400)
    assert_error(sandbox.http.post("/recipients/77", data={"recipientId": "a@example.com", "data.shoe": "42"}), 400)
    # An unknown list is "not found", never the 409 that tells an add-then-update client "exists".
    assert_error(sandbox.http.post("/recipients/99", data={"recipientId": "a@example.com"}), 404)


def test_awkward_values_survive_form_and_json_round_trips(sandbox):
    form = {"recipientId": "jürgen@example.com", **{f"data.{k}": v for k, v in AWKWARD.items()}}
    assert sandbox.http.post("/recipients/77", data=form).status_code == 201
    bulk = {"recipients": [{"id": "o'brien@example.com", "data": AWKWARD}]}
    assert sandbox.http.put("/recipients/77", json=bulk).json() == {"count": 1, "failedIds": []}
    body = sandbox.http.get("/recipients/77", params={"attributeNames": "firstname,lastname"}).json()
    assert [{k: e[k] for k in AWKWARD} for e in body["elements"]] == [AWKWARD, AWKWARD]
    assert {e["id"] for e in body["elements"]} == {"jürgen@example.com", "o'brien@example.com"}


def test_bulk_add_counts_added_and_lists_failed_ids(sandbox):
    sandbox.add("old@example.com")
    sandbox.state.client(CLIENT).add_blocklist_entry("blocked@example.com")
    recipients = [
        {"id": "new@example.com", "data": {"firstname": "Neu", "age": 41}},
        {"id": "old@example.com", "data": {"firstname": "Alt"}},
        {"id": "blocked@example.com"},
        {"id": "odd@example.com", "data": {"shoe": "42"}},
        {"id": "other-id", "address": "addressed@example.com"},
    ]
    result = sandbox.http.put("/recipients/77", json={"recipients": recipients}).json()
    assert result == {"count": 2, "failedIds": ["old@example.com", "blocked@example.com", "odd@example.com"]}
    new = sandbox.http.get("/recipients/77/new@example.com", params={"attributeNames": "firstname,age"}).json()
    assert (new["firstname"], new["age"]) == ("Neu", 41)
    assert sandbox.http.get("/recipients/77/other-id", params={"attributeNames": "email"}).json()["email"] == (
        "addressed@example.com"
    )


def test_bulk_modify_by_ids_and_select_by_target_group(sandbox):
    sandbox.add("a@example.com", firstname="A", lastname="VIP")
    sandbox.add("b@example.com", firstname="B")
    recipients = [{"id": "a@example.com", "data": {"firstname": "Dr. "}}, {"id": "x@example.com"}]
    body = {"updateMode": "prepend", "recipients": recipients}
    assert sandbox.http.put("/recipients/77/modify", json=body).json() == {"count": 1, "failedIds": ["x@example.com"]}
    sandbox.state.client(CLIENT).target_groups[5] = TargetGroup(5, "VIPs", {"lastname": "VIP"})
    vips = sandbox.http.get("/recipients/77", params={"targetGroup": 5, "attributeNames": "firstname"}).json()
    assert [(r["id"], r["firstname"]) for r in vips["elements"]] == [("a@example.com", "Dr. A")]
    assert sandbox.http.get("/recipients/77/count", params={"targetGroup": 5}).json() == {"count": 1}
    assert_error(sandbox.http.get("/recipients/77/count", params={"targetGroup": 6}), 404)
    # No REST call creates target groups, so modify-by-target-group is not served at all.
    assert_error(sandbox.http.post("/recipients/77/modify", data={"targetGroup": "5", "data.age": "1"}), 404)


def test_delete_one_by_ids_by_removal_type_and_all_without_parameters(sandbox):
    for name in "abcdef":
        sandbox.add(f"{name}@example.com")
    assert sandbox.http.delete("/recipients/77/a@example.com").status_code == 204
    assert_error(sandbox.http.delete("/recipients/77/a@example.com"), 404)
    by_ids = {"recipientIds": "b@example.com,c@example.com"}
    assert sandbox.http.delete("/recipients/77", params=by_ids).status_code == 204
    sandbox.state.client(CLIENT).unsubscribe("d@example.com")
    assert sandbox.http.delete("/recipients/77", params={"removalType": "unsubscribed"}).status_code == 204
    remaining = [e["id"] for e in sandbox.http.get("/recipients/77").json()["elements"]]
    assert remaining == ["e@example.com", "f@example.com"]
    both = {"recipientIds": "e@example.com", "removalType": "bounced"}
    assert_error(sandbox.http.delete("/recipients/77", params=both), 400)
    # Campaign deletes the whole list when neither parameter is given; so does the sandbox.
    assert sandbox.http.delete("/recipients/77").status_code == 204
    assert sandbox.http.get("/recipients/77/count").json() == {"count": 0}


# Lists and suppressions


def test_recipient_list_endpoints(sandbox):
    sandbox.add("a@example.com")
    lists = sandbox.http.get("/recipientlists").json()
    assert [(e["id"], e["name"], e["recipients"]) for e in lists["elements"]] == [(LIST, "Newsletter", 1)]
    assert sandbox.http.get("/recipientlists/77").json()["description"] == "Main list"
    fields = sandbox.http.get("/recipientlists/77/fields").json()["elements"]
    assert [(f["internalName"], f["type"]) for f in fields][-1] == ("age", "INTEGER")
    names = sandbox.http.get("/recipientlists/77/attributeNames").json()["attributeNames"]
    assert names == ["email", "firstname", "lastname", "age"]
    assert_error(sandbox.http.get("/recipientlists/78"), 409)


def test_unsubscribes_and_blocklist_entries_are_added_and_listed(sandbox):
    result = sandbox.http.post("/unsubscribes", data={"recipientIds": ["u1@example.com", "u2@example.com"]}).json()
    assert result == {"successfulIds": ["u1@example.com", "u2@example.com"], "unsuccessfulIds": []}
    again = sandbox.http.post("/unsubscribes", data={"recipientIds": "u2@example.com,u3@example.com"}).json()
    assert again == {"successfulIds": ["u3@example.com"], "unsuccessfulIds": ["u2@example.com"]}
    listed = sandbox.http.get("/unsubscribes", params={"limit": 2}).json()
    assert listed["count"] == 2 and listed["links"][0]["rel"] == "next"
    entry = sandbox.http.post("/blacklistentries", data={"entry": "*@competitor.example", "reason": "Wettbewerb"})
    assert entry.status_code == 201 and entry.json()["pattern"] == "*@competitor.example"
    assert [e["reason"] for e in sandbox.http.get("/blacklistentries").json()["elements"]] == ["Wettbewerb"]
    assert_error(sandbox.http.post("/recipients/77", data={"recipientId": "spy@competitor.example"}), 409)


def test_bounces_by_category_need_recipients_or_a_mailing(sandbox):
    client = sandbox.state.client(CLIENT)
    client.record_bounce("h@example.com", "hardbounce", mailing_id=501)
    client.record_bounce("s@example.com", "softbounce", mailing_id=501)
    by_mailing = sandbox.http.get("/responses", params={"category": "hardbounce", "mailingId": 501}).json()
    assert [(r["recipientId"], r["category"], r["mailingId"]) for r in by_mailing["elements"]] == [
        ("h@example.com", "hardbounce", 501)
    ]
    by_ids = sandbox.http.get("/responses", params={"category": "softbounce", "recipientIds": "s@example.com"})
    assert [r["recipientId"] for r in by_ids.json()["elements"]] == ["s@example.com"]
    assert_error(sandbox.http.get("/responses", params={"category": "hardbounce"}), 400)
    assert_error(sandbox.http.get("/responses", params={"category": "hardbounce", "mailingId": 999}), 404)


# Webhooks


def create_webhook(sandbox: Sandbox, **overrides: str) -> dict:
    form = {"type": "open", "format": "json", "targetUrl": "https://hooks.example/in", **overrides}
    response = sandbox.http.post("/webhooks", data=form)
    assert response.status_code == 201, response.text
    return response.json()


def test_webhook_status_rules(sandbox):
    webhook = create_webhook(sandbox, authentication='{"type":"basicAuth","userName":"hook","password":"s3cret"}')
    assert webhook["status"] == "created"
    assert webhook["authentication"] == {"type": "basicAuth", "userName": "hook"}  # no password echoed
    path = f"/webhooks/{webhook['id']}"
    assert_error(sandbox.http.post(path + "/deactivate"), 400)
    assert sandbox.http.post(path + "/activate").json()["status"] == "activated"
    assert_error(sandbox.http.post(path + "/activate"), 400)
    assert_error(sandbox.http.delete(path), 400)
    assert sandbox.http.post(path + "/deactivate").json()["status"] == "deactivated"
    assert sandbox.http.delete(path).status_code == 204
    assert_error(sandbox.http.delete(path), 404)
    assert_error(sandbox.http.post(path + "/activate"), 404)


def test_webhooks_are_listed_as_a_plain_array_and_can_be_updated(sandbox):
    first = create_webhook(sandbox, type="click")
    create_webhook(sandbox, type="bounce", authentication='{"type":"keyAuth","key":"X-Key","passphrase":"k"}')
    listed = sandbox.http.get("/webhooks").json()
    assert isinstance(listed, list)
    assert [w["type"] for w in listed] == ["bounce", "click"]  # newest first by default
    assert listed[0]["authentication"] == {"type": "keyAuth", "key": "X-Key"}
    form = {"type": "open", "format": "json", "targetUrl": "https://hooks.example/other"}
    updated = sandbox.http.put(f"/webhooks/{first['id']}", data=form).json()
    assert (updated["type"], updated["targetUrl"]) == ("open", "https://hooks.example/other")


def test_webhook_requests_with_wrong_settings_or_owner_are_refused(sandbox):
    for wrong in ({"type": "nonsense"}, {"format": "xml"}, {"targetUrl": "ftp://x"}, {"authentication": "{"},
                  {"authentication": '{"type":"basicAuth","userName":"u"}'}):  # fmt: skip
        form = {"type": "open", "format": "json", "targetUrl": "https://hooks.example/in", **wrong}
        assert_error(sandbox.http.post("/webhooks", data=form), 400)
    foreign = sandbox.state.client(1001).create_webhook("open", "https://hooks.example/in", {"type": "none"})
    assert_error(sandbox.http.post(f"/webhooks/{foreign.webhook_id}/activate"), 409)


# Faults


def statuses(sandbox: Sandbox, count: int) -> list[int]:
    return [sandbox.http.get("/recipientlists").status_code for _ in range(count)]


def test_fault_switch_changes_a_running_sandbox(sandbox):
    sandbox.faults.configure(rate_429=1.0)
    assert_error(sandbox.http.get("/recipientlists"), 429)
    sandbox.faults.configure(rate_429=0.0, rate_500=1.0)
    assert_error(sandbox.http.get("/recipientlists"), 500)
    sandbox.faults.configure(rate_500=0.0, rate_drop=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        sandbox.http.get("/recipientlists")
    sandbox.faults.configure(rate_drop=0.0, rate_slow=1.0, slow_seconds=0.3)
    started = time.monotonic()
    assert sandbox.http.get("/recipientlists").status_code == 200
    assert time.monotonic() - started >= 0.3
    sandbox.faults.reset()
    assert statuses(sandbox, 3) == [200, 200, 200]


def test_faults_are_seeded_and_settable_over_the_admin_endpoint(sandbox):
    runs = []
    with httpx.Client(base_url=f"{sandbox.rest_url}/_sandbox") as admin:
        for _ in range(2):
            settings = admin.put("/faults", json={"rate_429": 0.5, "rate_500": 0.2, "seed": 42})
            assert settings.json()["rate_429"] == 0.5
            runs.append(statuses(sandbox, 20))
        assert runs[0] == runs[1]
        assert {200, 429, 500} == set(runs[0])
        assert admin.get("/faults").status_code == 200  # the admin endpoint itself never misbehaves
        assert_error(admin.put("/faults", json={"rate_429": 2}), 400)
        assert_error(admin.put("/faults", json={"rate_teapot": 0.1}), 400)
        admin.put("/faults", json={"rate_429": 0, "rate_500": 0})
    assert statuses(sandbox, 3) == [200, 200, 200]
