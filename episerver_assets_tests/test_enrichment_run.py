"""Enrichment runs on both engines against the sandbox over real HTTP: each member once per audience
entry, 429 with Retry-After honoured, failures retried then recorded with the reason, re-entry sends
again, existing users optional, an endpoint that keeps failing stops the run."""

from __future__ import annotations

import datetime as dt

import pytest

from episerver_assets.defs.enrichment import run as enrichment_run
from episerver_assets.defs.enrichment.oauth_client import EnrichmentAuthorizationError
from episerver_assets.defs.enrichment.run import EnrichmentEndpointFailing
from episerver_assets.sandbox.enrichment.app import uuid_for
from episerver_assets.settings import SANDBOX_ENRICHMENT_SECRET

from .enrichment_support import (
    add_members, enrichments_file, ledger_rows, reenter, run, stream_rows, the_enrichment,
)

EMAILS = [f"user{i:02d}@example.com" for i in range(12)]


@pytest.fixture
def secret(monkeypatch):
    monkeypatch.setenv("TESTS_ENRICHMENT_SECRET", SANDBOX_ENRICHMENT_SECRET)


@pytest.fixture
def enrichment(tmp_path, sandbox_env, secret):
    return the_enrichment(enrichments_file(tmp_path))


def _sent(sandbox, email: str) -> list:
    return [r for r in sandbox.enrichment.answered() if r.email == email]


def test_every_member_is_enriched_once_and_a_second_run_sends_nobody(warehouse, sandbox, enrichment):
    add_members(warehouse, EMAILS)
    first = run(warehouse, enrichment)
    assert (first.due, first.enriched, first.failed, first.requests, first.tokens_fetched) == (12, 12, 0, 12, 1)
    rows = stream_rows(warehouse)
    assert [(r.email, r.status, r.http_status, r.enrichment_uuid) for r in rows] == [
        (email, "enriched", 200, uuid_for(email)) for email in EMAILS]
    assert all(uuid_for(r.email) in r.body for r in rows)
    assert [(r.email, r.status) for r in ledger_rows(warehouse)] == [(email, "enriched") for email in EMAILS]
    assert {r.request_id for r in ledger_rows(warehouse)} == {r.request_id for r in rows}

    second = run(warehouse, enrichment)
    assert (second.due, second.requests) == (0, 0)
    assert len(sandbox.enrichment.answered()) == 12 and len(stream_rows(warehouse)) == 12


def test_429_with_retry_after_waits_as_asked_then_succeeds(warehouse, sandbox, enrichment):
    add_members(warehouse, EMAILS[:3])
    sandbox.enrichment.faults.script(429, retry_after=1, email=EMAILS[1])
    summary = run(warehouse, enrichment)
    assert (summary.enriched, summary.failed, summary.requests) == (3, 0, 4)
    refused, answered = _sent(sandbox, EMAILS[1])
    assert (refused.status, answered.status) == (429, 200)
    assert answered.at - refused.at >= 1.0  # Retry-After: 1, not the 0.01 s backoff
    row = next(r for r in stream_rows(warehouse) if r.email == EMAILS[1])
    assert (row.status, row.attempts, row.enrichment_uuid) == ("enriched", 2, uuid_for(EMAILS[1]))


def test_500s_are_retried_then_recorded_with_the_reason_and_retry_failed_sends_again(warehouse, sandbox, enrichment):
    add_members(warehouse, EMAILS[:4])
    sandbox.enrichment.faults.script(500, count=3, email=EMAILS[2])  # max_attempts: 3
    summary = run(warehouse, enrichment)
    assert (summary.enriched, summary.failed) == (3, 1)
    failed = next(r for r in stream_rows(warehouse) if r.email == EMAILS[2])
    assert (failed.status, failed.http_status, failed.attempts, failed.enrichment_uuid) == ("failed", 500, 3, None)
    assert failed.reason.startswith("HTTP 500: ") and failed.reason.endswith("(after 3 attempts)")
    assert [r.status for r in _sent(sandbox, EMAILS[2])] == [500, 500, 500]

    assert run(warehouse, enrichment).due == 0  # recorded: not sent again by itself
    again = run(warehouse, enrichment, retry_failed=True)
    assert (again.due, again.enriched) == (1, 1)
    assert [(r.email, r.status) for r in ledger_rows(warehouse) if r.email == EMAILS[2]] == [(EMAILS[2], "enriched")]
    assert [r.status for r in stream_rows(warehouse) if r.email == EMAILS[2]] == ["failed", "enriched"]


def test_a_member_who_reenters_the_audience_is_sent_again(warehouse, sandbox, enrichment):
    add_members(warehouse, EMAILS[:3])
    run(warehouse, enrichment)
    reenter(warehouse, EMAILS[0], dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC))
    summary = run(warehouse, enrichment)
    assert (summary.due, summary.enriched) == (1, 1)
    assert len(_sent(sandbox, EMAILS[0])) == 2 and len(_sent(sandbox, EMAILS[1])) == 1
    assert len(ledger_rows(warehouse)) == 4


def test_without_existing_users_only_members_entering_after_the_first_run_are_sent(warehouse, sandbox, tmp_path,
                                                                                 sandbox_env, secret):
    enrichment = the_enrichment(enrichments_file(tmp_path, existing_users="false"))
    add_members(warehouse, EMAILS[:3])
    assert run(warehouse, enrichment).due == 0
    add_members(warehouse, EMAILS[3:4], entered=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))
    summary = run(warehouse, enrichment)
    assert (summary.due, summary.enriched) == (1, 1)
    assert [r.email for r in sandbox.enrichment.answered()] == [EMAILS[3]]


def test_an_endpoint_that_keeps_failing_stops_the_run_and_the_rest_stay_due(warehouse, sandbox, tmp_path,
                                                                           sandbox_env, secret, monkeypatch):
    monkeypatch.setattr(enrichment_run, "CHUNK_PROFILES", 5)
    monkeypatch.setattr(enrichment_run, "STOP_AFTER_FAILING", 5)
    enrichment = the_enrichment(enrichments_file(tmp_path, max_attempts=1))
    add_members(warehouse, EMAILS)
    sandbox.enrichment.faults.script(503, count=5)
    with pytest.raises(EnrichmentEndpointFailing, match=r"all 5 profiles of the last chunk failed \(HTTP 503.*"
                                                        r"stopped, 7 stay due"):
        run(warehouse, enrichment)
    assert len(stream_rows(warehouse)) == 5 and len(sandbox.enrichment.answered()) == 5
    assert run(warehouse, enrichment).enriched == 7


def test_an_answer_over_the_size_cap_fails_at_once_with_the_reason(warehouse, sandbox, tmp_path, sandbox_env, secret):
    enrichment = the_enrichment(enrichments_file(tmp_path, max_response_bytes=200))  # a token answer is ~90
    long_address = "x" * 150 + "@example.com"  # echoed in the answer: ~250 bytes
    add_members(warehouse, [long_address, EMAILS[0]])
    summary = run(warehouse, enrichment)
    assert (summary.enriched, summary.failed, summary.requests) == (1, 1, 2)  # not retried: it would come again
    row = next(r for r in stream_rows(warehouse) if r.email == long_address)
    assert (row.status, row.reason, row.enrichment_uuid) == ("failed", "answer larger than 200 bytes", None)

    tiny = the_enrichment(enrichments_file(tmp_path, max_response_bytes=40))  # the token answer too
    add_members(warehouse, EMAILS[1:2])
    with pytest.raises(EnrichmentAuthorizationError, match="no access token .*answer larger than 40 bytes"):
        run(warehouse, tiny)


def test_an_answer_later_than_the_deadline_is_retried_then_recorded(warehouse, sandbox, tmp_path, sandbox_env,
                                                                    secret):
    enrichment = the_enrichment(enrichments_file(tmp_path, timeout_seconds=0.3, max_attempts=2))
    add_members(warehouse, EMAILS[:2])
    sandbox.enrichment.faults.script(200, count=2, delay=1.5, email=EMAILS[0])
    summary = run(warehouse, enrichment)
    assert (summary.enriched, summary.failed) == (1, 1)
    row = next(r for r in stream_rows(warehouse) if r.email == EMAILS[0])
    assert (row.status, row.attempts, row.http_status) == ("failed", 2, None)
    assert row.reason == "no answer within 0.3 s (after 2 attempts)"


def test_a_second_run_of_the_same_enrichment_is_refused_while_one_runs(warehouse, sandbox, enrichment):
    from episerver_assets.defs.enrichment.run_lock import EnrichmentBusyError, enrichment_run_lock

    add_members(warehouse, EMAILS[:1])
    with enrichment_run_lock(warehouse, enrichment.slug):
        with pytest.raises(EnrichmentBusyError, match="enrichment tests_uuid is being run already"):
            run(warehouse, enrichment)
    assert sandbox.enrichment.answered() == [] and run(warehouse, enrichment).enriched == 1


def test_no_more_requests_in_flight_than_the_concurrency(warehouse, sandbox, tmp_path, sandbox_env, secret):
    enrichment = the_enrichment(enrichments_file(tmp_path, concurrency=3))
    add_members(warehouse, EMAILS)
    sandbox.enrichment.faults.script(200, count=len(EMAILS), delay=0.2)  # slow answers keep requests in flight
    assert run(warehouse, enrichment).enriched == 12
    assert sandbox.enrichment.most_in_flight == 3


def test_requests_keep_to_the_rate_limit(warehouse, sandbox, tmp_path, sandbox_env, secret):
    enrichment = the_enrichment(enrichments_file(tmp_path, concurrency=12, rate_limit_per_second=20))
    add_members(warehouse, EMAILS)
    assert run(warehouse, enrichment).enriched == 12
    times = sorted(r.at for r in sandbox.enrichment.answered())
    assert times[-1] - times[0] >= 11 / 20 * 0.9  # 12 requests at 20 a second take 0.55 s, not milliseconds


def test_a_429_holds_every_worker_back_for_its_retry_after(warehouse, sandbox, tmp_path, sandbox_env, secret):
    enrichment = the_enrichment(enrichments_file(tmp_path, concurrency=4))
    add_members(warehouse, EMAILS)
    sandbox.enrichment.faults.script(429, retry_after=1)
    assert run(warehouse, enrichment).enriched == 12
    (throttled,) = sandbox.enrichment.answered(429)
    meanwhile = [r for r in sandbox.enrichment.answered(200) if throttled.at < r.at < throttled.at + 0.9]
    assert len(meanwhile) <= 3  # only those already sent when the 429 came; the other 9+ waited
