"""The sandbox's webhook sender against a real local HTTP receiver.

Webhooks are created and activated over the REST API, as a client would; the sender then POSTs
generated events with the configured authentication and retries failed deliveries.
"""

from __future__ import annotations

import base64
import json
import threading
from contextlib import contextmanager

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from episerver_assets.sandbox.faults import FaultSwitch
from episerver_assets.sandbox.http import BackgroundHttpServer
from episerver_assets.sandbox.rest_app import build_rest_app
from episerver_assets.sandbox.state import ClientAccount, ListField, RecipientList, SandboxState
from episerver_assets.sandbox.webhooks import WebhookSender

CLIENT, USER, PASSWORD = 1000, "sandbox-api", "sandbox-secret"
LIST = 77
EVENT_FIELDS = {"clientId", "recipientId", "mailingId", "userListId", "type", "mediaTypesToAddresses", "timestamp"}


class Receiver:
    """A webhook target that records every request and fails the first `failures` of them."""

    def __init__(self, failures: int = 0):
        self.failures = failures
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self._changed = threading.Condition()
        self.app = Starlette(routes=[Route("/hook", self._receive, methods=["POST"])])

    async def _receive(self, request: Request) -> Response:
        body = await request.body()
        with self._changed:
            self.requests.append((dict(request.headers), body))
            number = len(self.requests)
            self._changed.notify_all()
        failing = number <= self.failures
        return Response("nope" if failing else "ok", status_code=500 if failing else 200)

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self.requests) >= count, timeout)

    def events(self) -> list[dict]:
        """Every event received, whether it came alone or in a batch array."""
        payloads = [json.loads(body) for _, body in self.requests]
        return [event for p in payloads for event in (p if isinstance(p, list) else [p])]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_state() -> SandboxState:
    state = SandboxState([ClientAccount(CLIENT, USER, PASSWORD)])
    client = state.client(CLIENT)
    client.lists[LIST] = RecipientList(LIST, "Newsletter", "", [ListField("email"), ListField("firstname")])
    for name in ("anna", "björn", "o'neil"):
        client.add_recipient(LIST, f"{name}@example.com", {"firstname": name.title()})
    return state


@contextmanager
def serving(app):
    with BackgroundHttpServer(app) as server:
        yield server.base_url


@pytest.fixture
def receiver():
    target = Receiver()
    with serving(target.app) as url:
        target.url = f"{url}/hook"
        yield target


@pytest.fixture
def state():
    return make_state()


@pytest.fixture
def rest(state):
    app = Starlette(routes=[Mount("/rest", app=build_rest_app(state, FaultSwitch()))])
    with serving(app) as url, httpx.Client(base_url=f"{url}/rest/{CLIENT}", auth=(USER, PASSWORD)) as http:
        yield http


def active_webhook(rest: httpx.Client, target_url: str, event_type: str = "open", authentication: str = "") -> int:
    form = {"type": event_type, "format": "json", "targetUrl": target_url}
    if authentication:
        form["authentication"] = authentication
    webhook_id = rest.post("/webhooks", data=form).json()["id"]
    assert rest.post(f"/webhooks/{webhook_id}/activate").status_code == 200
    return webhook_id


@pytest.mark.parametrize(
    ("authentication", "header", "expected"),
    [
        ("", "authorization", None),
        ('{"type":"none"}', "authorization", None),
        (
            '{"type":"basicAuth","userName":"hook-user","password":"pä$$:wort"}',
            "authorization",
            "Basic " + base64.b64encode("hook-user:pä$$:wort".encode()).decode(),
        ),
        ('{"type":"keyAuth","key":"X-Api-Key","passphrase":"Bearer abc123"}', "x-api-key", "Bearer abc123"),
    ],
)
def test_events_reach_the_target_with_the_configured_authentication(
    state, rest, receiver, authentication, header, expected
):
    active_webhook(rest, receiver.url, "click", authentication)
    sender = WebhookSender(state.client(CLIENT), seed=1)
    try:
        assert sender.emit(4) == 4
    finally:
        sender.stop()
    assert sender.counters.delivered == len(receiver.requests) >= 1
    assert all(headers.get(header) == expected for headers, _ in receiver.requests)
    assert all(headers["content-type"] == "application/json" for headers, _ in receiver.requests)
    events = receiver.events()
    assert len(events) == 4
    recipients = {f"{n}@example.com" for n in ("anna", "björn", "o'neil")}
    for event in events:
        assert EVENT_FIELDS | {"link"} <= event.keys()
        assert (event["type"], event["clientId"], event["userListId"]) == ("click", CLIENT, LIST)
        assert event["recipientId"] in recipients
        assert event["mediaTypesToAddresses"] == {"EMAIL": event["recipientId"]}
        assert event["link"].startswith("https://")


def test_deliveries_are_single_objects_or_batches_and_repeat_with_the_seed(state, rest, receiver):
    active_webhook(rest, receiver.url, "open")
    runs = []
    for _ in range(2):
        receiver.requests.clear()
        sender = WebhookSender(state.client(CLIENT), seed=7, max_batch=4)
        try:
            sender.emit(30)
        finally:
            sender.stop()
        shapes = [type(json.loads(body)) for _, body in receiver.requests]
        assert dict in shapes and list in shapes
        runs.append([{k: v for k, v in e.items() if k != "timestamp"} for e in receiver.events()])
    assert len(runs[0]) == 30 and runs[0] == runs[1]
    assert all("link" not in event for event in runs[0])  # links belong to clicks only


def test_only_activated_webhooks_receive_events(state, rest, receiver):
    rest.post("/webhooks", data={"type": "open", "format": "json", "targetUrl": receiver.url})
    webhook_id = active_webhook(rest, receiver.url, "bounce")
    rest.post(f"/webhooks/{webhook_id}/deactivate")
    sender = WebhookSender(state.client(CLIENT))
    try:
        assert sender.emit(5) == 0
    finally:
        sender.stop()
    assert receiver.requests == []


def test_a_failed_delivery_is_retried_after_backoff(state, rest):
    failing_once = Receiver(failures=1)
    clock = FakeClock()
    with serving(failing_once.app) as url:
        active_webhook(rest, f"{url}/hook")
        sender = WebhookSender(state.client(CLIENT), max_batch=1, backoff_seconds=2.0, clock=clock)
        try:
            sender.emit(1)
            assert (sender.counters.delivered, sender.counters.retried, sender.pending) == (0, 0, 1)
            clock.now += 1.9
            assert sender.deliver_pending() == 0  # not due yet
            clock.now += 0.1
            assert sender.deliver_pending() == 1
        finally:
            sender.stop()
    assert (sender.counters.delivered, sender.counters.retried, sender.counters.failed) == (1, 1, 0)
    assert sender.pending == 0
    first, second = (body for _, body in failing_once.requests)
    assert first == second  # the same payload again, so the receiver can deduplicate


def test_delivery_is_given_up_after_the_last_attempt(state, rest):
    always_failing = Receiver(failures=100)
    clock = FakeClock()
    with serving(always_failing.app) as url:
        active_webhook(rest, f"{url}/hook")
        sender = WebhookSender(state.client(CLIENT), max_batch=1, max_attempts=3, backoff_seconds=1.0, clock=clock)
        try:
            sender.emit(1)
            for waited in (1.0, 2.0):  # exponential: 1 s, then 2 s
                clock.now += waited
                assert sender.deliver_pending() == 1
        finally:
            sender.stop()
    assert (sender.counters.delivered, sender.counters.retried, sender.counters.failed) == (0, 2, 1)
    assert sender.pending == 0 and len(always_failing.requests) == 3


def test_unreachable_targets_count_as_failed_attempts(state, rest):
    with serving(Starlette()) as url:
        gone = f"{url}/hook"  # the server stops at the end of this block: nobody listens any more
    active_webhook(rest, gone)
    sender = WebhookSender(state.client(CLIENT), max_attempts=1)
    try:
        sender.emit(1)
    finally:
        sender.stop()
    assert (sender.counters.delivered, sender.counters.failed) == (0, 1)


def test_verify_sends_test_events_and_reports_the_answer(rest, receiver):
    webhook_id = active_webhook(rest, receiver.url, "unsubscribe")
    answer = rest.get(f"/webhooks/{webhook_id}/verify", params={"mailingId": 4711, "numberOfEvents": 3})
    assert answer.status_code == 200
    assert answer.json() == [
        {"id": webhook_id, "numberOfEvents": 3, "targetUrl": receiver.url, "httpStatusCode": 200, "responseBody": "ok"}
    ]
    events = receiver.events()
    assert len(events) == 3 and isinstance(json.loads(receiver.requests[0][1]), list)
    assert {(e["type"], e["mailingId"]) for e in events} == {("unsubscribe", 4711)}


def test_background_loop_delivers_until_stopped(state, rest, receiver):
    active_webhook(rest, receiver.url, "sent")
    sender = WebhookSender(state.client(CLIENT), interval_seconds=0.05, events_per_tick=1).start()
    try:
        assert receiver.wait_for(2), "the loop should deliver on its own"
    finally:
        sender.stop()
    assert sender.counters.delivered >= 2
    assert {e["type"] for e in receiver.events()} == {"sent"}
