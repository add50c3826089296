"""Concurrency pools shared by every asset that touches the same external system.

Dagster declares pool limits on the instance, not in code: `episerver-assets pools` (and `make ui`,
`make demo`) apply these; until then dagster.yaml's `default_limit: 1` admits one step per pool.
A step that uses two limited systems joins the pool of the scarcer one (see `closed_loop_pool`).
"""

from __future__ import annotations

import dagster as dg

from .settings import setting_value

CAMPAIGN_REST = "campaign_rest"
CAMPAIGN_SOAP = "campaign_soap"
CAMPAIGN_SFTP = "campaign_sftp"
WAREHOUSE = "warehouse"

CAMPAIGN_REST_CONNECTIONS = 40
"""Campaign allows 40 parallel REST connections per client ..."""
CAMPAIGN_RECIPIENT_READS = 10
"""... and 10 concurrent recipient select/count calls; the pool's steps share both."""
CAMPAIGN_SOAP_CONNECTIONS = 25
"""Campaign allows 25 parallel SOAP connections per client."""


def pool_limits(warehouse_dialect: str) -> dict[str, int]:
    """Steps allowed at once per pool.

    REST: 4 steps, each with a quarter of Campaign's per-client limits (`rest_share_per_step`).
    SOAP: 2 steps, each with up to half of Campaign's 25 connections (`soap_share_per_step`).
    SFTP: 2 sessions per account.
    The embedded DuckDB file takes one writing process at a time; PostgreSQL takes many.
    """
    return {
        CAMPAIGN_REST: 4,
        CAMPAIGN_SOAP: 2,
        CAMPAIGN_SFTP: 2,
        WAREHOUSE: 1 if warehouse_dialect == "duckdb" else 8,
    }


def rest_share_per_step() -> tuple[int, int]:
    """(connections, recipient reads) each REST step may use, so the whole pool stays within Campaign's limits."""
    steps = pool_limits("duckdb")[CAMPAIGN_REST]
    return CAMPAIGN_REST_CONNECTIONS // steps, CAMPAIGN_RECIPIENT_READS // steps


def soap_share_per_step() -> int:
    """SOAP connections each step of the `campaign_soap` pool may hold (the CRM refresh's addAll3 batches)."""
    return CAMPAIGN_SOAP_CONNECTIONS // pool_limits("duckdb")[CAMPAIGN_SOAP]


def configured_warehouse_dialect() -> str:
    """`duckdb` or `postgresql`, from EPISERVER_WAREHOUSE_URL (no connection)."""
    from .warehouse.engines import dialect_of

    return dialect_of(setting_value("EPISERVER_WAREHOUSE_URL"))


def closed_loop_pool(warehouse_dialect: str | None = None) -> str:
    """The closed-loop step holds one SFTP session and writes the warehouse: it joins the scarcer pool,
    `warehouse` on DuckDB (one writer), `campaign_sftp` on PostgreSQL (2 sessions against 8 writers)."""
    limits = pool_limits(warehouse_dialect or configured_warehouse_dialect())
    return WAREHOUSE if limits[WAREHOUSE] <= limits[CAMPAIGN_SFTP] else CAMPAIGN_SFTP


def apply_pool_limits(instance: dg.DagsterInstance, warehouse_dialect: str) -> dict[str, int]:
    limits = pool_limits(warehouse_dialect)
    for pool, limit in limits.items():
        instance.event_log_storage.set_concurrency_slots(pool, limit)
    return limits
