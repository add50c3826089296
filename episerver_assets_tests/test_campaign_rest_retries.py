"""Campaign REST client retries on a MockTransport: backoff, Retry-After, which failures are retried."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import httpx
import pytest

from episerver_assets.campaign.errors import CampaignConfigError, CampaignConnectionError, CampaignRateLimited, CampaignServerError
from episerver_assets.campaign.rest import CampaignRestResource
from episerver_assets.campaign.retry import RetryPolicy, parse_retry_after

from .campaign_rest_support import LOGGER, always, make_client, retry_records


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
    calls, handler = always(400, {"errorMessage": "Invalid limit request"})
    client, waits = make_client(handler)
    with pytest.raises(Exception, match="Invalid limit"):
        client.recipient_list(7)
    assert len(calls) == 1 and waits == []
