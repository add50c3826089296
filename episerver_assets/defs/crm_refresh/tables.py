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


def _run_columns() -> list[sa.Column]:
    return [sa.Column("run_id", sa.Text, nullable=False, comment="Dagster run id"),
            sa.Column("recipient_list_id", sa.BigInteger, nullable=False, comment="the list that was replaced")]


refresh_runs = sa.Table(
    "refresh_runs",
    metadata,
    *_run_columns(),
    sa.Column("optin_id", sa.BigInteger, nullable=False, comment="the one opt-in the selection held"),
    sa.Column("selected", sa.BigInteger, nullable=False, comment="recipients sent with addAll3"),
    sa.Column("added", sa.BigInteger, nullable=False, comment="recipients addAll3 answered with code 0"),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False, comment="when the refresh completed"),
    schema=SCHEMA,
    comment="Successful refreshes: the last one's size is what the shrink guard compares against.",
)

refresh_results = sa.Table(
    "refresh_results",
    metadata,
    *_run_columns(),
    sa.Column("recipient_id", sa.Text, nullable=False, comment="the recipient id sent (lower-cased address)"),
    sa.Column("entity_type", sa.Text, nullable=False, comment="contact, lead or account"),
    sa.Column("entity_id", sa.Text, nullable=False, comment="the CRM's id of the entity"),
    sa.Column("code", sa.Integer, nullable=False, comment="addAll3 return code, 1-7"),
    sa.Column("code_name", sa.Text, nullable=False, comment="what the code means, e.g. BLOCKLISTED"),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, comment="when the refresh recorded it"),
    schema=SCHEMA,
    comment="Every recipient a refresh sent that addAll3 did not add (code other than 0), per run.",
)
