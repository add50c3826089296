"""Warehouse tables of the CRM full refresh."""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA = "crm_refresh"

metadata = sa.MetaData()

suppressions = sa.Table(
    "suppressions",
    metadata,
    sa.Column("address", sa.Text, nullable=False,
              comment="lower-cased e-mail address, or a blocklist pattern (`*` any characters, `?` one)"),
    sa.Column("reason", sa.Text, nullable=False, comment="hard_bounce, unsubscribed or blocklisted"),
    sa.Column("source", sa.Text, nullable=False,
              comment="closed_loop (response files), rest (REST API) or soap_blocklist (RpcBlacklist)"),
    sa.Column("suppressed_at", sa.DateTime(timezone=True), comment="when Campaign recorded it, if known"),
    sa.Column("is_pattern", sa.Boolean, nullable=False, comment="true for a blocklist wildcard pattern"),
    schema=SCHEMA,
    comment="Addresses the CRM refresh must never add again: hard bounces, unsubscribes, the blocklist.",
)
