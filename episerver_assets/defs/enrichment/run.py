"""One run of an enrichment: find who is due, render, send, record, chunk after chunk.

Each chunk's outcomes commit in one transaction (stream rows and ledger together), so a run that
dies loses at most the chunk in flight: its members stay due and are sent again by the next run.
A run stops early, failing, when every profile of a chunk failed in a retried way (the endpoint is
down, not the profiles wrong): the rest stay due instead of all being recorded as failures.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from ...campaign.errors import mask_addresses
from ...warehouse import WarehouseResource
from ..audiences.tables import audience_members
from ..profiles.tables import user_profiles
from .attempts import Outcome, send_profile
from .config import Enrichment
from .due import DueMember, activated_at, due_members, record_outcomes
from .http_limits import RateLimiter
from .oauth_client import EnrichmentAuthorizationError, EnrichmentClient
from .run_lock import enrichment_run_lock
from .secrets_filter import SecretsFilter
from .tables import ensure_enrichment_tables
from .templates import TemplateError, render_batch

CHUNK_PROFILES = 500
STOP_AFTER_FAILING = 20
"""A chunk of at least this many profiles that all failed in a retried way stops the run."""


class EnrichmentEndpointFailing(RuntimeError):
    pass


@dataclass
class RunSummary:
    due: int = 0
    enriched: int = 0
    failed: int = 0
    requests: int = 0
    tokens_fetched: int = 0
    seconds: float = 0.0
    reasons: Counter = field(default_factory=Counter)

    def add(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            self.requests += outcome.attempts
            if outcome.status == "enriched":
                self.enriched += 1
            else:
                self.failed += 1
                self.reasons[mask_addresses(outcome.reason or "")[:80]] += 1


def _rendering(enrichment: Enrichment, chunk: list[DueMember]) -> asyncio.Task:
    """The chunk's payloads, rendered on a thread (the Jsonnet binding releases the GIL while it evaluates),
    so that the next chunk renders while this one is sent."""
    return asyncio.create_task(asyncio.to_thread(render_batch, enrichment.slug, enrichment.template,
                                                 enrichment.fields, [member.fields for member in chunk]))


async def _send_chunk(client: EnrichmentClient, limiter: RateLimiter, chunk: list[DueMember], payloads: list,
                      sleep: Callable[[float], Awaitable[None]]) -> tuple[list[tuple[DueMember, Outcome]], Exception | None]:
    enrichment = client.enrichment
    slots = asyncio.Semaphore(enrichment.concurrency)
    refused: list[Exception] = []

    async def one(payload) -> Outcome | None:
        request_id = uuid.uuid4().hex
        if isinstance(payload, TemplateError):
            return Outcome(request_id, reason=str(payload), received_at=dt.datetime.now(dt.UTC))
        async with slots:
            if refused:
                return None
            try:
                return await send_profile(client, limiter, payload, request_id, sleep)
            except EnrichmentAuthorizationError as error:
                refused.append(error)
                return None

    outcomes = await asyncio.gather(*(one(payload) for payload in payloads))
    sent = [(member, outcome) for member, outcome in zip(chunk, outcomes, strict=True) if outcome is not None]
    return sent, (refused[0] if refused else None)


async def _send_all(warehouse: WarehouseResource, enrichment: Enrichment, stream: sa.Table, due: list[DueMember],
                    replace_failures: bool, summary: RunSummary, sleep) -> None:
    with SecretsFilter() as secrets:
        async with EnrichmentClient(enrichment, secrets) as client:
            limiter = RateLimiter(enrichment.rate_limit_per_second)
            chunks = [due[start:start + CHUNK_PROFILES] for start in range(0, len(due), CHUNK_PROFILES)]
            rendering = _rendering(enrichment, chunks[0])
            try:
                for index, chunk in enumerate(chunks):
                    payloads = await rendering
                    if index + 1 < len(chunks):
                        rendering = _rendering(enrichment, chunks[index + 1])
                    sent, refused = await _send_chunk(client, limiter, chunk, payloads, sleep)
                    await asyncio.to_thread(_record, warehouse, enrichment, stream, sent, replace_failures)
                    summary.add([outcome for _, outcome in sent])
                    if refused is not None:
                        raise refused
                    if len(sent) >= STOP_AFTER_FAILING and all(o.retryable and o.status == "failed" for _, o in sent):
                        left = len(due) - summary.enriched - summary.failed
                        raise EnrichmentEndpointFailing(
                            f"enrichment {enrichment.slug}: all {len(sent)} profiles of the last chunk failed "
                            f"({mask_addresses(sent[-1][1].reason or '')}); stopped, {left:,} stay due for the next run")
            finally:
                summary.tokens_fetched = client.tokens_fetched
                if not rendering.done():  # stopped early: let the thread finish, nobody waits for its payloads
                    await asyncio.gather(rendering, return_exceptions=True)


def _record(warehouse: WarehouseResource, enrichment: Enrichment, stream: sa.Table,
            sent: list[tuple[DueMember, Outcome]], replace_failures: bool) -> None:
    with warehouse.begin() as connection:
        record_outcomes(connection, enrichment, stream, sent, replace_failures)


def run_enrichment(warehouse: WarehouseResource, enrichment: Enrichment, *, retry_failed: bool = False,
                   limit: int | None = None, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> RunSummary:
    """Send every due member of the source audience once; returns the counts (raises when no token
    could be had or the endpoint keeps failing, after recording what was done)."""
    started = time.monotonic()
    summary = RunSummary()
    warehouse.ensure_table(user_profiles, audience_members)
    with enrichment_run_lock(warehouse, enrichment.slug):
        with warehouse.begin() as connection:
            streams = ensure_enrichment_tables(connection, (enrichment,), warehouse.partition_lock_timeout_seconds)
            first_run = activated_at(connection, enrichment, dt.datetime.now(dt.UTC))
            due = due_members(connection, enrichment, None if enrichment.existing_users else first_run,
                              retry_failed, limit)
        summary.due = len(due)
        try:
            if due:
                asyncio.run(_send_all(warehouse, enrichment, streams[enrichment.stream], due, retry_failed,
                                      summary, sleep))
        finally:
            summary.seconds = time.monotonic() - started
    return summary
