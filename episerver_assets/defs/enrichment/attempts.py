"""Sending one profile: retries with backoff, 429's Retry-After, one token refresh on 401, and the outcome.

Retried: 429, 408, 5xx, timeouts and broken connections, up to `max_attempts` requests, waiting
`backoff_seconds * 2^n` (jittered, at most 30 s) or what Retry-After asks (at most
`max_retry_after_seconds`). A 401 gets one fresh token and one more request. Anything else (another
4xx, an answer too large, not JSON, lacking a mapped field) fails at once: repeating it cannot help.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from typing import Any

import httpx

from ...campaign.retry import parse_retry_after
from .http_limits import AnswerTooLarge, RateLimiter
from .oauth_client import EnrichmentClient

MAX_BACKOFF_SECONDS = 30.0
RETRIED_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
BODY_IN_REASON = 200


@dataclass
class Outcome:
    """What became of one profile: `status` enriched or failed, the final answer, the mapped values."""

    request_id: str
    status: str = "failed"
    http_status: int | None = None
    reason: str | None = None
    attempts: int = 0
    body: str | None = None
    mapped: dict[str, str | None] = field(default_factory=dict)
    sent_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    received_at: dt.datetime | None = None
    retryable: bool = False
    """The last failure was of a kind that is retried (the endpoint may be down, not the profile wrong)."""


def _value_at(document: Any, path: str) -> tuple[bool, Any]:
    for part in path.split("."):
        if not isinstance(document, dict) or part not in document:
            return False, None
        document = document[part]
    return True, document


def _mapped(body: bytes, mapping: dict[str, str]) -> tuple[dict[str, str | None], str | None]:
    """The mapped columns' values (text; JSON for non-strings), or why the answer cannot be used."""
    try:
        document = json.loads(body)
    except ValueError:
        return {}, "answer is not JSON"
    values: dict[str, str | None] = {}
    for path, column in mapping.items():
        found, value = _value_at(document, path)
        if not found or value is None:
            return {}, f"answer lacks {path}"
        values[column] = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return values, None


def _backoff(enrichment, attempt: int) -> float:
    return min(MAX_BACKOFF_SECONDS, enrichment.backoff_seconds * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)


async def send_profile(client: EnrichmentClient, limiter: RateLimiter, payload: dict, request_id: str,
                       sleep) -> Outcome:
    """Send until an outcome; `sleep` is asyncio.sleep (injectable)."""
    enrichment = client.enrichment
    outcome = Outcome(request_id)
    refreshed, budget = False, enrichment.max_attempts
    while outcome.attempts < budget:
        await limiter.wait_turn()
        outcome.attempts += 1
        wait = _backoff(enrichment, outcome.attempts)
        try:
            response, body, token = await client.post(payload, request_id)
        except AnswerTooLarge as error:
            outcome.reason, outcome.retryable = str(error), False
            break
        except (httpx.TimeoutException, TimeoutError):
            outcome.reason, outcome.retryable = f"no answer within {enrichment.timeout_seconds:g} s", True
        except httpx.TransportError as error:
            outcome.reason, outcome.retryable = f"connection failed ({error.__class__.__name__})", True
        else:
            outcome.http_status = response.status_code
            outcome.body = body.decode("utf-8", "replace")
            if response.is_success:
                outcome.mapped, outcome.reason = _mapped(body, enrichment.map)
                outcome.status = "failed" if outcome.reason else "enriched"
                outcome.retryable = False
                break
            outcome.reason = f"HTTP {response.status_code}: {client.secrets.mask(outcome.body[:BODY_IN_REASON])}"
            if response.status_code == 401 and not refreshed:
                refreshed, budget = True, budget + 1  # the retry with a fresh token is extra
                await client.refresh_after_401(token)
                continue
            outcome.retryable = response.status_code in RETRIED_STATUSES
            if not outcome.retryable:
                break
            if response.status_code == 429:
                asked = parse_retry_after(response.headers.get("retry-after"))
                if asked is not None:
                    wait = min(asked, enrichment.max_retry_after_seconds)
                limiter.pause(wait)
        if outcome.attempts < budget:
            await sleep(wait)
    if outcome.status == "failed" and outcome.retryable:
        outcome.reason = f"{outcome.reason} (after {outcome.attempts} attempts)"
    outcome.received_at = dt.datetime.now(dt.UTC)
    return outcome
