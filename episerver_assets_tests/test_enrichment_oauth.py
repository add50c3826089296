"""OAuth 2.0 client credentials against the sandbox over real HTTP: the token is reused, replaced before it
expires, replaced once when the endpoint answers 401, and a refused client fails without its secret."""

from __future__ import annotations

import asyncio
import time

import authlib.oauth2.rfc6749.wrappers as token_wrappers
import pytest

from episerver_assets.defs.enrichment.attempts import send_profile
from episerver_assets.defs.enrichment.http_limits import RateLimiter
from episerver_assets.defs.enrichment.oauth_client import EnrichmentAuthorizationError, EnrichmentClient
from episerver_assets.defs.enrichment.secrets_filter import SecretsFilter
from episerver_assets.settings import SANDBOX_ENRICHMENT_SECRET

from .enrichment_support import enrichments_file, the_enrichment


class Clock:
    """A clock tests move forward instead of waiting."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now


@pytest.fixture
def enrichment(tmp_path, sandbox_env, monkeypatch):
    monkeypatch.setenv("TESTS_ENRICHMENT_SECRET", SANDBOX_ENRICHMENT_SECRET)
    return the_enrichment(enrichments_file(tmp_path))


def _send_all(enrichment, emails: list[str], between=lambda: None) -> tuple[int, list]:
    """Send the addresses one after the other through one client; `between` runs before each but the first."""
    async def scenario():
        with SecretsFilter() as secrets:
            async with EnrichmentClient(enrichment, secrets) as client:
                outcomes = []
                for index, email in enumerate(emails):
                    if index:
                        between()
                    outcomes.append(await send_profile(client, RateLimiter(1000), {"email": email}, f"r{index}",
                                                       asyncio.sleep))
                return client.tokens_fetched, outcomes
    return asyncio.run(scenario())


def test_one_token_serves_every_request_while_it_is_valid(enrichment, sandbox):
    fetched, outcomes = _send_all(enrichment, [f"u{i}@example.com" for i in range(5)])
    assert fetched == 1 and sandbox.enrichment.tokens.issued == 1
    assert [(o.status, o.attempts) for o in outcomes] == [("enriched", 1)] * 5


def test_a_token_about_to_expire_is_replaced_before_it_is_used(enrichment, sandbox, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(sandbox.enrichment.tokens, "clock", clock.time)
    monkeypatch.setattr(token_wrappers, "time", clock)  # authlib's view of the time
    sandbox.enrichment.tokens.ttl_seconds = 60  # replaced 30 s before it expires
    steps = iter([10, 35])  # still fresh after 10 s; inside the last 30 s after 45 s

    def later():
        clock.now += next(steps)

    fetched, outcomes = _send_all(enrichment, ["a@example.com", "b@example.com", "c@example.com"], later)
    assert fetched == 2 and sandbox.enrichment.tokens.issued == 2
    assert [o.status for o in outcomes] == ["enriched"] * 3
    assert sandbox.enrichment.answered(401) == []  # replaced before the service refused it


def test_a_token_the_service_already_expired_gets_401_then_one_refresh_then_success(enrichment, sandbox, monkeypatch):
    server_clock = Clock()
    monkeypatch.setattr(sandbox.enrichment.tokens, "clock", server_clock.time)

    def service_clock_runs_ahead():
        server_clock.now += sandbox.enrichment.tokens.ttl_seconds + 1

    fetched, (first, second) = _send_all(enrichment, ["a@example.com", "b@example.com"], service_clock_runs_ahead)
    assert fetched == 2 and (first.attempts, second.attempts) == (1, 2)
    assert (second.status, second.http_status, second.reason) == ("enriched", 200, None)
    assert [r.status for r in sandbox.enrichment.answered()] == [200, 401, 200]


def test_a_second_401_after_a_fresh_token_fails_the_profile_without_looping(enrichment, sandbox):
    sandbox.enrichment.faults.script(401, count=2)
    fetched, (outcome,) = _send_all(enrichment, ["a@example.com"])
    assert fetched == 2 and outcome.attempts == 2
    assert outcome.status == "failed" and outcome.http_status == 401 and outcome.reason.startswith("HTTP 401")


def test_a_refused_client_fails_before_sending_and_never_shows_its_secret(enrichment, sandbox, monkeypatch):
    monkeypatch.setenv("TESTS_ENRICHMENT_SECRET", "wrong-S3cret-value")
    with pytest.raises(EnrichmentAuthorizationError) as refused:
        _send_all(enrichment, ["a@example.com"])
    assert "invalid_client" in str(refused.value) and "/oauth/token" in str(refused.value)
    assert "wrong-S3cret-value" not in str(refused.value)
    assert sandbox.enrichment.answered() == []
