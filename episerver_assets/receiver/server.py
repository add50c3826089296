"""Running the receiver under uvicorn (one process; its own deployment in production)."""

from __future__ import annotations

import gc
import logging

import uvicorn

from ..redaction import mask_passwords
from .app import build_app
from .config import ReceiverConfig
from .head_deadline import HeadDeadlineProtocol

log = logging.getLogger("episerver_assets.receiver")

# Longer than the idle timeout of a reverse proxy's upstream pool (nginx `keepalive_timeout` 60 s), so
# the proxy always closes an idle connection first and never reuses one the receiver is closing.
KEEP_ALIVE_SECONDS = 65
# Open connections plus running requests; beyond it uvicorn answers 503 at once instead of queueing
# without bound (Campaign retries a 503). With the head and body deadlines (`head_deadline`, the
# app's 408) this caps what slow or idle clients can hold, well under the usual 1024 open files.
MAX_CONCURRENCY = 800
# Connections the kernel queues while the event loop is busy (a burst of new senders).
LISTEN_BACKLOG = 1024


def uvicorn_config(config: ReceiverConfig) -> uvicorn.Config:
    # log_config=None keeps the CLI's logging (and its password mask); our own per-request DEBUG
    # lines replace uvicorn's access log, which would cost an INFO line per request.
    return uvicorn.Config(build_app(config), host=config.host, port=config.port, log_config=None,
                          access_log=False, timeout_graceful_shutdown=10, timeout_keep_alive=KEEP_ALIVE_SECONDS,
                          limit_concurrency=MAX_CONCURRENCY, backlog=LISTEN_BACKLOG, http=HeadDeadlineProtocol)


def serve(config: ReceiverConfig) -> None:
    log.info("webhook receiver on http://%s:%d/events (auth %s), landing store %s",
             config.host, config.port, config.auth_mode, mask_passwords(config.store_url))
    server = uvicorn.Server(uvicorn_config(config))
    # The CLI process has imported a great deal (~180,000 objects) that lives as long as it does; left
    # to the collector, every full collection walks all of it and stalls all requests for ~100 ms (p99
    # went from ~20 ms to over 100 ms under load). Frozen, collections walk only what requests allocate.
    gc.freeze()
    server.run()
