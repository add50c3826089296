"""The webhook sender: activated webhooks receive generated activity events as JSON POSTs.

No public sample payload exists. An event carries the fields the Lytics mapping reads (`clientId`,
`recipientId`, `mailingId`, `userListId`, `link` for clicks, `type`, `mediaTypesToAddresses`) plus
`timestamp` (RFC 3339). A delivery is one object or, for several events, a JSON array. Events are
drawn from the recipients in the state with a seeded generator, so a test sees the same events for
the same state and seed. Failed deliveries are retried with exponential backoff, a bounded number
of times; tests drive `emit()`/`deliver_pending()` and a clock, the long-running sandbox `start()`s
one sender per client as a background loop.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from .rest.wire import timestamp
from .state import ClientState, Webhook, now

log = logging.getLogger(__name__)

_LINKS = (
    "https://shop.example.com/angebote?kategorie=schuhe&utm_source=campaign",
    "https://www.example.com/newsletter/mai",
    "https://www.example.com/über-uns",
)
_FALLBACK_RECIPIENT = ("webhook-test@example.com", "webhook-test@example.com", 0)
"""Who `verify` writes about when the client has no recipients at all."""

Payload = dict[str, Any] | list[dict[str, Any]]


@dataclass
class Delivery:
    webhook: Webhook
    payload: Payload
    attempts: int = 0
    due: float = 0.0


@dataclass
class DeliveryCounters:
    """Deliveries (POSTs of one payload) acknowledged, attempts repeated, deliveries given up."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0


def recipients_of(client: ClientState) -> list[tuple[str, str, int]]:
    """(address, recipient id, list id) of every recipient of the client, in a stable order."""
    with client.lock:
        return [
            (recipient.attributes.get("email") or recipient.recipient_id, recipient.recipient_id, list_id)
            for list_id in sorted(client.lists)
            for recipient in sorted(client.lists[list_id].recipients.values(), key=lambda r: r.recipient_id)
        ]


def generate_events(
    client_id: int,
    population: list[tuple[str, str, int]],
    event_type: str,
    count: int,
    rng: random.Random,
    mailing_id: int | None = None,
) -> list[dict[str, Any]]:
    """`count` events of one type about recipients drawn from `population` (none if it is empty)."""
    events = []
    for _ in range(count if population else 0):
        address, recipient_id, list_id = rng.choice(population)
        event = {
            "clientId": client_id,
            "recipientId": recipient_id,
            "mailingId": mailing_id if mailing_id is not None else 9_000_000 + rng.randrange(1, 25),
            "userListId": list_id,
            "type": event_type,
            "mediaTypesToAddresses": {"EMAIL": address},
            "timestamp": timestamp(now()),
        }
        if event_type == "click":
            event["link"] = rng.choice(_LINKS)
        events.append(event)
    return events


def as_payload(events: list[dict[str, Any]]) -> Payload:
    """One event goes as a bare object, several as an array: receivers must accept both."""
    return events[0] if len(events) == 1 else events


def post(http: httpx.Client, webhook: Webhook, payload: Payload) -> httpx.Response:
    """POST a payload to the webhook's target with its configured authentication."""
    auth = webhook.authentication
    headers = {}
    basic = None
    if auth.get("type") == "basicAuth":
        basic = httpx.BasicAuth(auth["userName"], auth["password"])
    elif auth.get("type") == "keyAuth":
        headers[auth["key"]] = auth["passphrase"]
    return http.post(webhook.target_url, json=payload, headers=headers, auth=basic)


def verify(client: ClientState, webhook: Webhook, mailing_id: int, number_of_events: int) -> dict[str, Any]:
    """Send test events to a webhook now (any status) and report how the target answered."""
    rng = random.Random(f"{webhook.webhook_id}:{mailing_id}")
    population = recipients_of(client) or [_FALLBACK_RECIPIENT]
    events = generate_events(client.account.client_id, population, webhook.type, number_of_events, rng, mailing_id)
    result = {"id": webhook.webhook_id, "numberOfEvents": len(events), "targetUrl": webhook.target_url}
    try:
        with httpx.Client(timeout=10.0) as http:
            answer = post(http, webhook, as_payload(events))
        return {**result, "httpStatusCode": answer.status_code, "responseBody": answer.text}
    except httpx.HTTPError as error:
        # No HTTP status came back; 0 says so without inventing one.
        return {**result, "httpStatusCode": 0, "responseBody": f"{type(error).__name__}: {error}"}


class WebhookSender:
    """Generates events for every activated webhook of one client and delivers them with retries."""

    def __init__(
        self,
        client: ClientState,
        *,
        seed: int = 0,
        interval_seconds: float = 30.0,
        events_per_tick: int = 1,
        max_batch: int = 5,
        max_attempts: int = 5,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 300.0,
        timeout_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.client = client
        self.counters = DeliveryCounters()
        self._interval = interval_seconds
        self._events_per_tick = events_per_tick
        self._rng = random.Random(seed)
        self._max_batch = max_batch
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._clock = clock
        self._http = httpx.Client(timeout=timeout_seconds)
        self._pending: list[Delivery] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._loop: threading.Thread | None = None

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def emit(self, count: int) -> int:
        """Generate `count` events per activated webhook, queue them in batches, deliver what is due.

        Returns the number of events generated (0 when no webhook is active or the client has no
        recipients).
        """
        generated = 0
        with self._lock:
            for webhook in sorted(self.client.active_webhooks(), key=lambda w: w.webhook_id):
                population = recipients_of(self.client)
                events = generate_events(self.client.account.client_id, population, webhook.type, count, self._rng)
                generated += len(events)
                while events:
                    size = self._rng.randint(1, self._max_batch)
                    batch, events = events[:size], events[size:]
                    self._pending.append(Delivery(webhook, as_payload(batch), due=self._clock()))
        self.deliver_pending()
        return generated

    def deliver_pending(self) -> int:
        """Attempt every delivery that is due; returns how many were attempted."""
        with self._lock:
            due = [d for d in self._pending if d.due <= self._clock()]
            self._pending = [d for d in self._pending if d.due > self._clock()]
            for delivery in due:
                self._attempt(delivery)
            return len(due)

    def _attempt(self, delivery: Delivery) -> None:
        if delivery.attempts:
            self.counters.retried += 1
        delivery.attempts += 1
        webhook = delivery.webhook
        try:
            answer = post(self._http, webhook, delivery.payload)
            if answer.is_success:
                self.counters.delivered += 1
                return
            problem = f"HTTP {answer.status_code}"
        except httpx.HTTPError as error:
            problem = type(error).__name__
        if delivery.attempts >= self._max_attempts:
            self.counters.failed += 1
            log.warning("webhook %s: giving up after %d attempts (%s)", webhook.webhook_id, delivery.attempts, problem)
            return
        delay = min(self._backoff * 2 ** (delivery.attempts - 1), self._max_backoff)
        delivery.due = self._clock() + delay
        self._pending.append(delivery)
        log.info(
            "webhook %s: attempt %d failed (%s), retry in %.1fs", webhook.webhook_id, delivery.attempts, problem, delay
        )

    def start(self) -> WebhookSender:
        """Emit `events_per_tick` events and deliver on a background thread every interval until `stop()`."""

        def run() -> None:
            while not self._stop.wait(self._interval):
                try:
                    self.emit(self._events_per_tick)
                except Exception:  # the loop must outlive one bad tick; the error is logged
                    log.exception("webhook sender tick failed")

        self._loop = threading.Thread(target=run, name=f"webhook-sender-{self.client.account.client_id}", daemon=True)
        self._loop.start()
        return self

    def stop(self) -> None:
        """Stop the background loop (if any) and close the HTTP client."""
        self._stop.set()
        if self._loop is not None:
            self._loop.join(timeout=10)
        self._http.close()
