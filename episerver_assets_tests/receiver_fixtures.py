"""Helpers shared by the receiver tests: a config on a given store, the stored rows."""

from __future__ import annotations

import base64

import sqlalchemy as sa

from episerver_assets.receiver.config import ReceiverConfig
from episerver_assets.receiver.landing_store import landed_requests, open_landing_store

USER, SECRET = "campaign-webhook", "s3cret-Receiver-key"


def receiver_config(store_url: str, auth_mode: str = "basic", **overrides) -> ReceiverConfig:
    values = dict(host="127.0.0.1", port=0, auth_mode=auth_mode, user=USER, key_header="X-Api-Key",
                  secret=SECRET, store_url=store_url, max_body_bytes=4096, max_events=5)
    values.update(overrides)
    return ReceiverConfig(**values)


def basic_auth(user: str = USER, secret: str = SECRET) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


def stored_rows(store_url: str) -> list[dict]:
    engine = open_landing_store(store_url)
    try:
        with engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(sa.select(landed_requests).order_by("id"))]
    finally:
        engine.dispose()
