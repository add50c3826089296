"""Campaign REST client against the sandbox's FaultSwitch over real HTTP (429 bursts, 500s, dropped
connections, slow answers): every operation completes, nothing is duplicated, each retry is logged."""

from __future__ import annotations

import logging
import threading

import anyio

from episerver_assets.campaign.rest import RecipientData, UpsertOutcome
from episerver_assets.campaign.retry import RetryPolicy
from episerver_assets.sandbox.faults import FaultSwitch

from .campaign_rest_support import LIST, LOGGER, retry_records, running_sandbox


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
