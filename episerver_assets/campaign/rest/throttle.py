"""Keep REST traffic within Campaign's documented per-client limits, across threads of one process.

Campaign allows 40 parallel REST connections per client and at most 10 concurrent recipient
select/count calls (REST selectRecipients, countRecipients and SOAP getCount share that budget);
beyond that it answers 429. Every client object built for the same (rest_url, client_id) in this
process shares one `Throttle`, so threads of one step, or several resources pointing at the same
client, never exceed the limits together.

Across processes (Dagster runs each step in its own process by default) a semaphore cannot help: ops
and assets that call the REST API join the Dagster concurrency pool `campaign_rest`
(`@dg.asset(pool=DAGSTER_POOL)`), whose limit the deployment sets, e.g.
`dagster instance concurrency set campaign_rest 2`. With a pool limit of N, configure each step's
resource with max_concurrent_recipient_reads <= 10 // N and max_connections <= 40 // N; otherwise
the service's 429s are still absorbed by the retries, only more slowly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

DAGSTER_POOL = "campaign_rest"
"""Name of the Dagster concurrency pool for steps that call the Campaign REST API."""

_logger = logging.getLogger("episerver_assets.campaign.rest")


class Throttle:
    """Two bounded semaphores: all requests, and the recipient select/count subset."""

    def __init__(self, max_connections: int, max_recipient_reads: int) -> None:
        if max_connections < 1 or max_recipient_reads < 1:
            raise ValueError("throttle limits must be at least 1")
        self.max_connections = max_connections
        self.max_recipient_reads = max_recipient_reads
        self._connections = threading.BoundedSemaphore(max_connections)
        self._recipient_reads = threading.BoundedSemaphore(max_recipient_reads)

    @contextmanager
    def slot(self, recipient_read: bool = False) -> Iterator[None]:
        """Hold a connection slot (and a recipient-read slot) for the duration of one request.

        The recipient-read slot is taken first, always in the same order, so that threads waiting
        for it do not hold connection slots other requests could use.
        """
        if recipient_read:
            self._recipient_reads.acquire()
        try:
            with self._connections:
                yield
        finally:
            if recipient_read:
                self._recipient_reads.release()


_registry: dict[tuple[str, str], Throttle] = {}
_registry_lock = threading.Lock()


def shared_throttle(rest_url: str, client_id: str, max_connections: int, max_recipient_reads: int) -> Throttle:
    """The process-wide throttle of one Campaign client; created on first use with the given limits.

    Later callers with different limits get the existing throttle (the first limits win), because
    two throttles for one client would together exceed the service's limit.
    """
    key = (rest_url.rstrip("/"), str(client_id))
    with _registry_lock:
        throttle = _registry.get(key)
        if throttle is None:
            throttle = _registry[key] = Throttle(max_connections, max_recipient_reads)
        elif (throttle.max_connections, throttle.max_recipient_reads) != (max_connections, max_recipient_reads):
            _logger.warning(
                "REST throttle for client %s already exists with limits %d/%d; ignoring %d/%d",
                client_id, throttle.max_connections, throttle.max_recipient_reads,
                max_connections, max_recipient_reads,
            )
        return throttle
