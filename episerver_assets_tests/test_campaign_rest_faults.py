"""Campaign REST client under failure: retries, backoff, Retry-After, unsafe writes, throttling.

Unit tests answer from an httpx.MockTransport that misbehaves on purpose; integration tests turn on
the sandbox's FaultSwitch (429 bursts, 500s, dropped connections, slow answers) over real HTTP.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime

import anyio
import httpx
import pytest

from episerver_assets.campaign.errors import (
    CampaignConfigError,
    CampaignConnectionError,
    CampaignOutcomeUnknown,
    CampaignRateLimited,
    CampaignServerError,
)
from episerver_assets.campaign.rest import CampaignRestResource, Recipient, RecipientData, UpsertOutcome
from episerver_assets.campaign.retry import RetryPolicy, parse_retry_after
from episerver_assets.sandbox.faults import FaultSwitch

from .campaign_rest_support import LIST, T0, form, make_client, recipient_json, running_sandbox

LOGGER = "episerver_assets.campaign.rest"


def retry_records(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.getMessage().startswith("Retrying")]


# --- the shared policy ---------------------------------------------------------------------------

def test_backoff_is_exponential_with_full_jitter_and_capped():
    policy = RetryPolicy(max_attempts=6, base_delay=0.5, max_delay=3.0, random=lambda: 1.0)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    low = RetryPolicy(base_delay=0.5, random=lambda: 0.0)
    assert low.delay(4) == 0.0
    assert policy.delay(1, retry_after=7.0) == 7.0
    assert RetryPolicy(max_retry_after=10).delay(1, retry_after=3600) == 10
    assert policy.may_retry(5) and not policy.may_retry(6)


def test_retry_after_parses_seconds_and_http_dates():
    now = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Wed, 01 May 2024 10:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 01 May 2024 09:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


# --- retries ---------------------------------------------------------------------------------------

def test_429_is_retried_honouring_retry_after_and_each_retry_is_logged(caplog):
    answers = iter([httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(429, headers={"Retry-After": "3"}),
                    httpx.Response(200, json={"count": 42})])
    client, waits = make_client(lambda request: next(answers))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert client.count_recipients(7) == 42
    assert waits == [2.0, 3.0]
    messages = retry_records(caplog)
    assert len(messages) == 2
    assert "HTTP 429" in messages[0] and "attempt 1 of 4" in messages[0] and "Retry-After" in messages[0]
    assert "attempt 2 of 4" in messages[1]


def test_5xx_and_connection_errors_on_reads_are_retried_with_growing_backoff(caplog):
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        if len(calls) == 2:
            raise httpx.ReadTimeout("timed out", request=request)
        if len(calls) == 3:
            return httpx.Response(503, json={"errorMessage": "maintenance"})
        return httpx.Response(200, json={"id": 7, "name": "Main"})

    client, waits = make_client(handler)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert client.recipient_list(7).name == "Main"
    assert waits == [0.01, 0.02, 0.04]
    reasons = retry_records(caplog)
    assert "ConnectError" in reasons[0] and "ReadTimeout" in reasons[1] and "HTTP 503" in reasons[2]


def test_persistent_failures_end_in_typed_errors_after_max_attempts():
    client, waits = make_client(lambda r: httpx.Response(429, json={"errorMessage": "Too many requests"}))
    with pytest.raises(CampaignRateLimited) as caught:
        client.count_recipients(7)
    assert caught.value.status == 429 and caught.value.message == "Too many requests" and len(waits) == 3

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client, _ = make_client(refuse)
    with pytest.raises(CampaignConnectionError) as failed:
        client.recipient_list(7)
    assert not failed.value.effect_unknown and "ConnectError" in str(failed.value)

    client, _ = make_client(lambda r: httpx.Response(500, json={"errorMessage": "boom"}))
    with pytest.raises(CampaignServerError, match="boom"):
        client.recipient_list(7)


def test_a_rest_url_without_scheme_fails_at_once_as_configuration_error():
    with CampaignRestResource(rest_url="127.0.0.1:8765/rest").client() as client:
        with pytest.raises(CampaignConfigError, match="unusable"):
            client.authenticated_user()
        assert not client.check().ok


def test_4xx_other_than_429_is_not_retried():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(400, json={"errorMessage": "Invalid limit request"})

    client, waits = make_client(handler)
    with pytest.raises(Exception, match="Invalid limit"):
        client.recipient_list(7)
    assert len(calls) == 1 and waits == []


# --- no blind retry of writes whose effect is unknown --------------------------------------------

def _add_then_drop_handler(list_state: set[str], posts: list[str], drop_first_reply: bool):
    def handler(request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split("/")
        if request.method == "POST":
            rid = form(request)["recipientId"][0]
            posts.append(rid)
            if rid in list_state:
                return httpx.Response(409, json={"errorMessage": "exists"})
            if drop_first_reply and len(posts) == 1:
                list_state.add(rid)  # the service did add it; the reply is lost
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
            if len(posts) == 1:
                raise httpx.ReadTimeout("timed out before the service acted", request=request)
            list_state.add(rid)
            return httpx.Response(201, json={"id": rid, "created": T0, "modified": T0})
        rid = parts[-1]
        if rid in list_state:
            return httpx.Response(200, json={"id": rid, "created": T0, "modified": T0})
        return httpx.Response(404, json={"errorMessage": "not found"})
    return handler


def test_lost_add_reply_is_checked_with_a_get_and_not_sent_again(caplog):
    in_list: set[str] = set()
    posts: list[str] = []
    client, _ = make_client(_add_then_drop_handler(in_list, posts, drop_first_reply=True))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        added = client.add_recipient(7, RecipientData("a@example.com", {"firstname": "A"}))
    assert added.id == "a@example.com" and posts == ["a@example.com"]
    assert any("took effect" in r.getMessage() for r in caplog.records)


def test_add_whose_effect_did_not_happen_is_sent_again_after_the_check():
    in_list: set[str] = set()
    posts: list[str] = []
    client, _ = make_client(_add_then_drop_handler(in_list, posts, drop_first_reply=False))
    client.add_recipient(7, RecipientData("a@example.com", {"firstname": "A"}))
    assert posts == ["a@example.com", "a@example.com"] and in_list == {"a@example.com"}


def test_append_modify_is_never_resent_after_a_5xx():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(502, json={"errorMessage": "bad gateway"})

    client, _ = make_client(handler)
    with pytest.raises(CampaignOutcomeUnknown) as caught:
        client.modify_recipients(7, [RecipientData("a@example.com", {"note": "+1"})], mode="append")
    assert len(calls) == 1 and caught.value.status == 502
    calls.clear()
    with pytest.raises(CampaignServerError):
        client.modify_recipients(7, [RecipientData("a@example.com", {"note": "x"})], mode="set")
    assert len(calls) == 4  # "set" is idempotent: all attempts used


def test_bulk_add_resent_after_a_lost_reply_duplicates_nothing_and_is_marked_uncertain():
    in_list: set[str] = set()
    puts = []

    def handler(request: httpx.Request) -> httpx.Response:
        puts.append(request)
        ids = [r["id"] for r in json.loads(request.content)["recipients"]]
        failed = [i for i in ids if i in in_list]
        in_list.update(ids)
        if len(puts) == 1:
            raise httpx.ReadTimeout("reply lost", request=request)
        return httpx.Response(200, json={"count": len(ids) - len(failed), "failedIds": failed})

    client, _ = make_client(handler)
    result = client.add_recipients(7, [RecipientData(f"r{i}@example.com") for i in range(3)])
    assert len(puts) == 2 and len(in_list) == 3
    assert result.uncertain and result.count == 0 and len(result.failed_ids) == 3


def test_lost_webhook_create_finds_the_new_webhook_instead_of_creating_another():
    hooks: list[dict] = [{"id": 1, "type": "open", "targetUrl": "https://h.test", "status": "activated"}]
    posts = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=hooks)
        posts.append(request)
        hooks.append({"id": 2, "type": "open", "targetUrl": "https://h.test", "status": "created"})
        return httpx.Response(504, json={"errorMessage": "gateway timeout"})

    client, _ = make_client(handler)
    hook = client.create_webhook("open", "https://h.test")
    assert hook.id == 2 and len(posts) == 1  # the pre-existing webhook 1 was not mistaken for ours


# --- throttling ------------------------------------------------------------------------------------

class GatedHandler:
    """A transport handler that holds every request at a gate and counts how many are in flight."""

    def __init__(self, answer: dict):
        self.answer = answer
        self.in_flight = self.peak = self.done = 0
        self.open = False
        self.condition = threading.Condition()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.condition:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self.condition.notify_all()
            self.condition.wait_for(lambda: self.open, timeout=10)
            self.in_flight -= 1
            self.done += 1
        return httpx.Response(200, json=self.answer)

    def measure_peak(self, limit: int, threads: int, call) -> int:
        """Start `threads` threads each making one call; with the gate shut, wait until `limit`
        requests are in flight, then give any excess half a second to show up, then open the gate."""
        errors: list[BaseException] = []

        def run() -> None:
            try:
                call()
            except BaseException as error:  # noqa: BLE001 - asserted below
                errors.append(error)

        workers = [threading.Thread(target=run) for _ in range(threads)]
        for worker in workers:
            worker.start()
        with self.condition:
            assert self.condition.wait_for(lambda: self.in_flight >= limit, timeout=5), self.in_flight
            self.condition.wait_for(lambda: self.in_flight > limit, timeout=0.5)
            self.open = True
            self.condition.notify_all()
        for worker in workers:
            worker.join(timeout=10)
        assert errors == [] and self.done == threads
        return self.peak


def test_recipient_reads_never_exceed_ten_in_flight_across_30_threads():
    gate = GatedHandler({"count": 1})
    client, _ = make_client(gate)
    assert gate.measure_peak(10, 30, lambda: client.count_recipients(7)) == 10


def test_recipient_selects_and_counts_share_the_ten_slots():
    gate = GatedHandler({"elements": [], "links": [], "count": 0})
    client, _ = make_client(gate)
    calls = iter([lambda: list(client.recipients(7)), lambda: client.count_recipients(7)] * 15)
    lock = threading.Lock()

    def one_call() -> None:
        with lock:
            call = next(calls)
        call()

    assert gate.measure_peak(10, 30, one_call) == 10


def test_other_requests_are_bounded_by_the_connection_limit_only():
    gate = GatedHandler({"id": 7})
    client, _ = make_client(gate, max_connections=12)
    assert gate.measure_peak(12, 30, lambda: client.recipient_list(7)) == 12


def test_clients_of_the_same_campaign_client_share_one_throttle():
    one = CampaignRestResource(rest_url="http://shared.test/rest", client_id="77").get_client()
    two = CampaignRestResource(rest_url="http://shared.test/rest/", client_id="77").get_client()
    other = CampaignRestResource(rest_url="http://shared.test/rest", client_id="78").get_client()
    assert one._session.throttle is two._session.throttle is not other._session.throttle
    for client in (one, two, other):
        client.close()


def test_recipient_json_helper_is_a_valid_recipient():
    # Guards the helper the fault tests build on: a typed record with attributes.
    assert Recipient.from_json(recipient_json(1)).attributes["firstname"] == "F1"


# --- integration: the sandbox's FaultSwitch over real HTTP -----------------------------------------

def test_sandbox_burst_of_429s_is_ridden_out_with_each_retry_logged(caplog):
    with running_sandbox() as sandbox:
        sandbox.campaign.add_recipient(LIST, "a@example.com", {})
        sandbox.faults.configure(rate_429=1.0)
        client = sandbox.client(max_attempts=6)
        waits: list[float] = []

        def wait_then_end_burst(seconds: float) -> None:
            waits.append(seconds)
            if len(waits) == 3:  # the burst lasts three attempts
                sandbox.faults.reset()

        client._session.policy = RetryPolicy(6, base_delay=0.001, max_delay=0.01, sleep=wait_then_end_burst)
        with client, caplog.at_level(logging.WARNING, logger=LOGGER):
            assert client.count_recipients(LIST) == 1
    messages = retry_records(caplog)
    assert len(messages) == 3 and all("HTTP 429" in m for m in messages)
    assert [f"attempt {n} of 6" in m for n, m in enumerate(messages, start=1)] == [True] * 3


def test_sandbox_mixed_faults_every_operation_completes_and_nothing_is_duplicated(caplog):
    faults = FaultSwitch(rate_429=0.15, rate_500=0.15, rate_drop=0.1, seed=11)
    with running_sandbox(faults) as sandbox, caplog.at_level(logging.WARNING, logger=LOGGER):
        sandbox.campaign.add_recipient(LIST, "old@example.com", {"firstname": "Old"})
        with sandbox.client(max_attempts=12, bulk_batch_size=250, page_size=300) as client:
            bulk = [RecipientData(f"bulk{i:04}@example.com", {"firstname": "B"}) for i in range(1500)]
            result = client.add_recipients(LIST, bulk)
            singles = [client.add_recipient(LIST, RecipientData(f"single{i}@example.com", {"firstname": "S"}))
                       for i in range(15)]
            upserts = [client.upsert_recipient(LIST, RecipientData(rid, {"firstname": "U"})).outcome
                       for rid in ("old@example.com", "fresh@example.com")]
            hooks = [client.create_webhook(kind, f"https://hooks.example/{kind}") for kind in ("open", "click", "sent")]
            for hook in hooks:
                client.activate_webhook(hook.id)
            unsubscribed = client.add_unsubscribes([f"u{i}@example.com" for i in range(20)])
            entry = client.add_blocklist_entry("*@spam.test", "spam")
            listed = list(client.recipients(LIST, ["firstname"]))
            counted = client.count_recipients(LIST)
        sandbox.faults.reset()
        expected = {r.id for r in bulk} | {r.id for r in singles} | {"old@example.com", "fresh@example.com"}
        assert sandbox.list_ids() == expected
        assert len(listed) == len({r.id for r in listed}) == counted == len(expected) == 1517
        assert result.count + len(result.failed_ids) == 1500 and len(result.failed_ids) == len(set(result.failed_ids))
        assert upserts == [UpsertOutcome.UPDATED, UpsertOutcome.ADDED]
        with sandbox.campaign.lock:
            webhooks = list(sandbox.campaign.webhooks.values())
            blocklist = dict(sandbox.campaign.blocklist)
            unsubscribes = set(sandbox.campaign.unsubscribes)
        assert sorted((w.type, w.status) for w in webhooks) == [("click", "activated"), ("open", "activated"),
                                                                 ("sent", "activated")]
        assert entry.pattern == "*@spam.test" and list(blocklist) == ["*@spam.test"]
        assert unsubscribes == {f"u{i}@example.com" for i in range(20)}
        assert len(unsubscribed.successful_ids) + len(unsubscribed.unsuccessful_ids) >= 20
    reasons = " ".join(retry_records(caplog))
    assert "HTTP 429" in reasons and "HTTP 500" in reasons
    assert "RemoteProtocolError" in reasons or "ReadError" in reasons or "a read shows" in caplog.text


def test_sandbox_slow_responses_time_out_and_the_add_still_lands_once(caplog):
    faults = FaultSwitch(rate_slow=1.0, slow_seconds=0.6)
    with running_sandbox(faults) as sandbox, caplog.at_level(logging.WARNING, logger=LOGGER):
        client = sandbox.client(max_attempts=6, read_timeout_seconds=0.2)
        waits: list[float] = []

        def wait_then_speed_up(seconds: float) -> None:
            waits.append(seconds)
            sandbox.faults.reset()

        client._session.policy = RetryPolicy(6, base_delay=0.001, max_delay=0.01, sleep=wait_then_speed_up)
        with client:
            assert client.count_recipients(LIST) == 0
            sandbox.faults.configure(rate_slow=1.0, slow_seconds=0.6)
            added = client.add_recipient(LIST, RecipientData("slow@example.com", {"firstname": "S"}))
        assert added.id == "slow@example.com"
        assert sandbox.list_ids() == {"slow@example.com"}
    assert "ReadTimeout" in " ".join(retry_records(caplog))


def test_sandbox_never_answers_429_to_30_threads_reading_recipients(caplog):
    condition = threading.Condition()
    state = {"in_flight": 0, "peak": 0, "started": 0}

    def hold() -> None:
        with condition:
            state["in_flight"] += 1
            state["started"] += 1
            state["peak"] = max(state["peak"], state["in_flight"])
            condition.notify_all()
            condition.wait_for(lambda: state["in_flight"] >= 10 or state["started"] >= 30, timeout=10)
            state["in_flight"] -= 1

    async def hold_query() -> None:
        await anyio.to_thread.run_sync(hold)

    with running_sandbox(recipient_query_hook=hold_query) as sandbox, caplog.at_level(logging.WARNING, logger=LOGGER):
        sandbox.campaign.add_recipient(LIST, "a@example.com", {})
        with sandbox.client() as client:
            results: list[int] = []
            calls = [lambda: results.append(client.count_recipients(LIST)),
                     lambda: results.append(len(list(client.recipients(LIST))))] * 15
            threads = [threading.Thread(target=call) for call in calls]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=20)
    assert results == [1] * 30
    assert state["peak"] == 10
    assert retry_records(caplog) == []  # the client's throttle kept the sandbox from ever saying 429
