"""Running the receiver under uvicorn (one process; its own deployment in production)."""

from __future__ import annotations

import logging

import uvicorn

from ..redaction import mask_passwords
from .app import build_app
from .config import ReceiverConfig

log = logging.getLogger("episerver_assets.receiver")


def serve(config: ReceiverConfig) -> None:
    log.info("webhook receiver on http://%s:%d/events (auth %s), landing store %s",
             config.host, config.port, config.auth_mode, mask_passwords(config.store_url))
    # log_config=None keeps the CLI's logging (and its password mask); our own per-request DEBUG
    # lines replace uvicorn's access log, which would cost an INFO line per request.
    uvicorn.run(build_app(config), host=config.host, port=config.port, log_config=None,
                access_log=False, timeout_graceful_shutdown=10)
